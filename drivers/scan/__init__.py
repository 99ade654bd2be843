"""Barcode decoding for camera frames and image files.

    chain = default_chain()            # zxing-cpp, then zbar (see chain.py for the measurement)
    symbols = chain.decode(frame)      # BGR or grayscale numpy image -> [Symbol]
    fresh = Deduplicator().fresh(symbols)  # one scan per symbol presented

Every Symbol carries the payload's raw bytes (`raw`) beside its text, so callers that need
exact bytes (signed passes) never depend on a decoder's charset guess.
"""
from .chain import DEFAULT_FORMATS, DecoderChain, default_chain, make_decoder, to_gray
from .dedup import Deduplicator
from .symbol import LEGACY_CODECS, MAX_PAYLOAD_BYTES, Symbol, payload_text

__all__ = ["DEFAULT_FORMATS", "LEGACY_CODECS", "DecoderChain", "Deduplicator", "MAX_PAYLOAD_BYTES", "Symbol",
           "default_chain", "make_decoder", "payload_text", "to_gray"]
