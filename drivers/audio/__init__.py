"""Audio device adapters: PCM conversions, WAV recordings and the desk microphone.

Nothing here knows about calls, tickets or the journal: it turns bytes from a modem or a sound
card into 16-bit signed little-endian mono PCM, the one format the recogniser is fed.
"""
