#!/usr/bin/env bash
# Installs frontdesk as a service on a Raspberry Pi / Debian machine:
#   sudo deploy/install.sh edge      (or: central)
# Copies the checkout to /opt/frontdesk, sets it up, creates the frontdesk user and enables the
# unit. Configuration goes in /etc/frontdesk/<role>.toml (see README.md).
set -euo pipefail
role="${1:?usage: install.sh edge|central}"
src="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "run as root"; exit 1; }
id frontdesk >/dev/null 2>&1 || useradd --system --user-group --home /var/lib/frontdesk --shell /usr/sbin/nologin frontdesk
# Residents' data and the keys that guard it: nothing here is for other users of the machine.
# /etc/frontdesk holds the configuration (it may carry passwords) and the edge's key: root writes
# it, the services' group reads it. /var/lib/frontdesk holds the stores, recordings, the CA: the
# units' StateDirectory= folders below it are 0750 frontdesk. Re-running fixes modes, loses nothing.
install -d -m 0750 -o root -g frontdesk /etc/frontdesk
install -d -m 0750 -o frontdesk -g frontdesk /var/lib/frontdesk
chmod -R o-rwx /etc/frontdesk /var/lib/frontdesk
mkdir -p /opt/frontdesk
cp -a "$src/." /opt/frontdesk/
/opt/frontdesk/scripts/setup
install -m 0644 "/opt/frontdesk/deploy/systemd/frontdesk-$role.service" /etc/systemd/system/
if [ "$role" = central ]; then
  # The fleet's broker runs the configuration central generates (README "Security model"); Debian's
  # own mosquitto service is not used.
  install -m 0644 /opt/frontdesk/deploy/systemd/frontdesk-broker.service /etc/systemd/system/
  systemctl disable --now mosquitto.service 2>/dev/null || true
fi
if [ "$role" = edge ]; then
  # The modem, the printers and the card readers (99-frontdesk-cards.rules: the readers' event
  # devices to group frontdesk; the agent is not in group input, which reads every keyboard).
  for rule in /opt/frontdesk/deploy/udev/*.rules; do [ -e "$rule" ] && install -m 0644 "$rule" /etc/udev/rules.d/; done
  udevadm control --reload-rules 2>/dev/null || true
  udevadm trigger --subsystem-match=input --subsystem-match=tty --subsystem-match=usb 2>/dev/null || true
  # An agent installed before the card rule was in group input: take it out.
  if id -nG frontdesk | tr ' ' '\n' | grep -qx input; then gpasswd -d frontdesk input >/dev/null; fi
  # Speech models are installed by root (`frontdesk models install`); the setgid folder gives what
  # is unpacked there to group frontdesk, which the umask 0027 leaves readable to the agent.
  install -d -m 2750 -o root -g frontdesk /var/lib/frontdesk/models
fi
systemctl daemon-reload
systemctl enable "frontdesk-$role.service"
if [ "$role" = central ]; then
  systemctl enable frontdesk-broker.service
  echo "installed; put the configuration in /etc/frontdesk/central.toml, then (as frontdesk):"
  echo "  frontdesk central keys create -c /etc/frontdesk/central.toml"
  echo "  frontdesk central broker-config -c /etc/frontdesk/central.toml"
  echo "and: systemctl start frontdesk-broker frontdesk-central"
else
  echo "installed; enroll with the device's bundle: frontdesk edge enroll BUNDLE (writes /etc/frontdesk/edge.toml),"
  echo "then: systemctl start frontdesk-edge"
fi
