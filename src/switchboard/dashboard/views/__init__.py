"""The dashboard's routers, one module per area."""
