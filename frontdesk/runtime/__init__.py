"""Private server processes frontdesk can start for itself: the demo, the tests and the benches
run a real Mosquitto and, for the PostgreSQL backend, a real PostgreSQL on free loopback ports."""
