"""Residents' personal data at central: whom a request is about (matching), erasing one person
everywhere central keeps data and on the site's edges (erase, edges), the retention periods per kind
(settings, retention), and finding what is still stored (find)."""
