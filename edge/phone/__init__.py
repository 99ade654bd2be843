"""The desk phone line: the call attendant service ([phone] in the edge TOML)."""
