"""What frontdesk's processes run on: the private server processes it can start for itself (the
demo, the tests and the benches run a real Mosquitto and, for the PostgreSQL backend, a real
PostgreSQL on free loopback ports), and the rule for the files it writes (files.py)."""
