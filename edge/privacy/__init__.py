"""Residents' personal data on the edge: erasure (`privacy.erase`), retention (`retention.set` and
the edge's [retention] defaults) and `frontdesk edge privacy find|erase`.

    match.py    whom an erasure is about, and how their values are found inside stored JSON
    base.py     the PersonalData interface each store implements, and the Outcome it counts into
    places.py   every store of the edge, whether or not its service runs here
    config.py   the [retention] section
    service.py  the privacy service: the two commands, the hourly retention run, emptying WALs
    find.py     where a text is still stored: rows, JSON paths, files, raw bytes of every database
    cli.py      `frontdesk edge privacy ...`
"""
