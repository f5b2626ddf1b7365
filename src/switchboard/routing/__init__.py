"""Pure routing: an event, its source's destinations, the integrations object and the
destination filters in; one decision per destination out. No database, no queue."""
