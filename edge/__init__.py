"""The edge agent: its journal, the uplink to central, and the device services it runs."""
