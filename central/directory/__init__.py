"""The resident directory central keeps per site: units, the residents of each and their phone
numbers. The desk's unit type-ahead, the resident sign-in and the directory pushed down to the
desk edges (directory.replace) all read it."""
