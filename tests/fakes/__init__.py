"""Fake servers standing in for the vendors at the network edge."""
