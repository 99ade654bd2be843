"""A private Mosquitto broker on a loopback port, with a generated configuration.

Used by `frontdesk demo`, the tests and the benches; a site runs the system broker with
deploy/mosquitto/frontdesk.conf instead. The same data directory survives stop/start and
SIGKILL/start, so tests can take the broker away and bring it back as a site would see it.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from .ports import free_port, wait_listening

CONF = """\
listener {port} {host}
allow_anonymous true
persistence true
persistence_location {data}/
autosave_interval 5
# A central that is away for a while must not lose its queue of batches (the default is 1000).
max_queued_messages 100000
max_inflight_messages 100
log_dest file {data}/mosquitto.log
log_type error
log_type warning
log_type notice
{user}
"""


class MosquittoError(RuntimeError):
    """The broker is not installed or did not start; the message says which (with its log's tail)."""
    pass


def mosquitto_binary() -> str:
    """Path of the mosquitto executable (PATH, then /usr/sbin); MosquittoError if it is not installed."""
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if not found:
        raise MosquittoError("mosquitto is not installed (Debian package `mosquitto`; scripts/setup installs it)")
    return found


def run_as() -> str:
    """The `user` line a private broker needs: as root, mosquitto would otherwise switch to the
    `mosquitto` user and lose access to our files."""
    return "user root" if os.geteuid() == 0 else ""


class Mosquitto:
    """A private mosquitto process listening on `host`:`port` (a free port by default), its
    configuration, persistence and log kept in `data_dir`."""

    def __init__(self, data_dir: str | Path, port: int | None = None, host: str = "127.0.0.1",
                 config: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or free_port(host)
        # A configuration written elsewhere (the fleet's generated TLS one, listening on `port`);
        # None: the open loopback broker of CONF.
        self.config = config
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The broker's address as mqtt://host:port."""
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Mosquitto:
        """Write the configuration and start the broker; returns self once it accepts connections.
        MosquittoError (broker stopped) if it does not listen within `timeout` seconds."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.config or self.data_dir / "mosquitto.conf"
        if self.config is None:
            conf.write_text(CONF.format(port=self.port, host=self.host, data=self.data_dir, user=run_as()))
        self.proc = subprocess.Popen([mosquitto_binary(), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        if not wait_listening(self.host, self.port, timeout):
            self.stop()
            log = self.data_dir / "mosquitto.log"
            tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            raise MosquittoError(f"mosquitto did not start on {self.host}:{self.port}: {tail}")
        return self

    def reload(self) -> None:
        """SIGHUP: the broker re-reads its ACL, CRL and certificates (what `systemctl reload` does)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)

    def running(self) -> bool:
        """True while the broker process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: what a crash or a power cut looks like to the clients."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM the broker and wait (SIGKILL after 10 s); its data stays for the next start().
        Does nothing if it is not running."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
