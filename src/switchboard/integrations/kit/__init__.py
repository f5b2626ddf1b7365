"""The destination kit: what every destination is built from.

So far it holds the two languages a configured destination is written in, both as Segment
defines them: the mapping language (`kit.mapping`, Segment's mapping-kit) that shapes an
action's payload from an event, and the trigger syntax (`kit.triggers`, Segment's
destination-subscriptions) that decides which events an action receives. Both are pure:
JSON in, JSON or a boolean out.
"""
