"""The central ticket store: MQTT ingest from the edges, commands to them, tickets and the HTTP API."""
