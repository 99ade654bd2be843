"""Residents invite visitors: a resident signs in with their phone number and a one-time code
(codes.py, sessions.py), invites a visitor for a time window, and central signs a single-use
pass the visitor opens through a link (invitations.py); cancelling revokes it at the site's
kiosks and gates. The pages for residents and visitors are in static/, served under /r/."""
