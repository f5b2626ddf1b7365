"""Retention: events and delivery attempts past their configured age are deleted."""
