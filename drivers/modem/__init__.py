"""Voice-modem driver: AT channel, caller ID, DLE voice streams, ring cadence, modem families.

    modem = open_modem("serial:/dev/ttyACM0", family=None, country="cn")   # a Device (drivers/device.py)
    modem.initialise(); ...; modem.close()

Nothing here knows about calls as business records; edge/phone turns what this reports into events.
"""
from .modem import MODEMS, ModemError, ModemLost, ModemRejected, ModemTimeout, VoiceModem, open_modem

__all__ = ["MODEMS", "ModemError", "ModemLost", "ModemRejected", "ModemTimeout", "VoiceModem", "open_modem"]
