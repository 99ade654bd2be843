"""frontdesk: front-desk and lobby edge system.

`frontdesk` itself holds what every part shares: the event and command schema (the one contract
between edge and central), the MQTT topic scheme, configuration loading and the command line.
The roles live in their own folders: frontdesk.edge, frontdesk.drivers, frontdesk.central,
frontdesk.kiosk_ui.
"""

__version__ = "0.1.0"
