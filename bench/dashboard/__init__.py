"""Server time of the dashboard's data (debugger, schema, event delivery) at 100 K and 1 M
events."""
