"""Sources: where events come from, each with one or more write keys."""
