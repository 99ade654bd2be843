"""Voice-modem driver: AT channel, caller ID, DLE voice streams, ring cadence, modem families.

Nothing here knows about calls as business records; edge/phone turns what this reports into events.
"""
