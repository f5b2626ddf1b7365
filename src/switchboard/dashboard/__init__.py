"""The dashboard: server-rendered pages for sources, the live debugger, schema, destinations,
event delivery and the event tester, behind a session login."""
