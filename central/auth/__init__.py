"""Staff accounts, sessions, roles and the masking of residents' personal data."""
