"""Tickets: lifecycles, SLA timers, the projection from events, registers and statistics."""
