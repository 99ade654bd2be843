"""Signed visitor passes: the contract between central (signs) and edges (verify offline).

    token = encode_pass(private_key, pass_id=..., site="sunrise", host_unit="3-1502",
                        visitor_name="王小明", valid_from=..., valid_until=..., single_use=True)
    vp = verify_pass(token, keyring([public_key]), site="sunrise")   # or raises Rejection(reason)

Central issues through central.passes.issue_pass; edges check replays and revocations on top
(edge/access). Format: token.py; keys: keys.py.
"""
from .keys import (
                   KeyError_,
                   check_public_keys,
                   generate_key,
                   key_id,
                   load_private_key,
                   load_public_key,
                   public_pem,
                   public_text,
                   raw_public,
                   save_private_key,
)
from .token import (
                   MAX_TOKEN_CHARS,
                   PREFIX,
                   REASONS,
                   Rejection,
                   VisitorPass,
                   decode_unverified,
                   encode_pass,
                   keyring,
                   looks_like_pass,
                   verify_pass,
)

__all__ = ["KeyError_", "MAX_TOKEN_CHARS", "PREFIX", "REASONS", "Rejection", "VisitorPass", "check_public_keys",
           "decode_unverified", "encode_pass", "generate_key", "key_id", "keyring", "load_private_key",
           "load_public_key", "looks_like_pass", "public_pem", "public_text", "raw_public", "save_private_key",
           "verify_pass"]
