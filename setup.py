"""Maps the top-level folders onto one `frontdesk` package tree.

The repository is laid out by role (edge/, drivers/, central/, kiosk_ui/) so the architecture is
visible at a glance; installed, they are frontdesk.edge, frontdesk.drivers and so on, so nothing
generic like `drivers` lands at the top of site-packages.
"""
from setuptools import find_packages, setup

ROOTS = {
    "frontdesk": "frontdesk",
    "frontdesk.edge": "edge",
    "frontdesk.drivers": "drivers",
    "frontdesk.central": "central",
    "frontdesk.kiosk_ui": "kiosk_ui",
}

# Files that are not Python but ship with the code: templates, greetings, screens, migrations.
PACKAGE_DATA = {
    "frontdesk.web": ["static/*"],
    "frontdesk.central": ["migrations/script.py.mako"],
    "frontdesk.central.dashboard": ["static/*", "static/**/*"],
    "frontdesk.central.residents": ["static/*"],
    "frontdesk.kiosk_ui": ["static/*", "static/**/*"],
    "frontdesk.edge.printing": ["templates/*"],
    "frontdesk.edge.phone": ["greetings/*"],
    "frontdesk.drivers.modem": ["emulator/scenarios/*"],
}

packages = []
for package, folder in ROOTS.items():
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=ROOTS, package_data=PACKAGE_DATA)
