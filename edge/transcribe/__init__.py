"""Offline transcription of recorded call messages and desk dictation (Vosk, on the edge)."""
