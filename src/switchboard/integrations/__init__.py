"""Destination adapters: the framework (base, errors, HTTP recording, registry) and one
package per vendor. Adapters are pure: settings and events in, HTTP exchanges and outcomes
out. They never touch the database or the queue."""
