"""Deliveries (event x destination) and every attempt to make them."""
