"""The lobby kiosk and gate-post screens: a local web app the edge agent serves to Chromium.

Plain HTML/CSS/JS under static/ (no build step, no network fetches), message catalogues per
language under static/i18n/, and a small FastAPI app that pushes what the access service records
in the edge journal to the screen as it happens (Server-Sent Events).
"""
