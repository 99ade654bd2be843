"""The fleet: which sites and devices exist, the credentials they prove themselves with, and the
broker configuration that enforces it.

    ca.py          the fleet CA (cryptography): broker, central and device certificates, the CRL
    tables.py      fleet_sites, fleet_devices, fleet_credentials (migration 0004_fleet)
    registry.py    add a site or device, disable it, re-credential it; writes the enrolment bundle
    roles.py       the edge configuration each role starts from (desk, kiosk, gate, agent)
    broker.py      the Mosquitto configuration, ACL and CRL central generates from the registry
    cli.py         `frontdesk central site|device|broker-config`

A device proves who it is with a client certificate whose common name is `<device>@<site>`;
Mosquitto takes that name as the user name (use_identity_as_username) and as the client id
(use_username_as_clientid), and the generated ACL lets it use only its own four topics.
"""
