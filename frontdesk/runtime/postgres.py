"""A private PostgreSQL server (Debian's packages) in a temporary directory on a loopback port.

initdb refuses to run as root, so as root the cluster is created and run as the `postgres`
system user (created by Debian's postgresql package).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .ports import free_port


class PostgresError(RuntimeError):
    """The PostgreSQL server binaries are missing, or the server did not start; the message says why."""
    pass


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresError("PostgreSQL server binaries not found (Debian package `postgresql`)")


class Postgres:
    """A private PostgreSQL cluster with trust authentication on a loopback port (a free one by default).
    As root it runs as the `postgres` user in a temporary folder of its own instead of `data_dir`."""

    def __init__(self, data_dir: str | Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.bin = _bin_dir()
        self.as_user = "postgres" if os.geteuid() == 0 else None
        self._own_dir = bool(self.as_user)
        # The postgres user cannot enter root's private temp folders (pytest's are 0700), so as
        # root the cluster lives in a folder of its own that is removed again on stop().
        self.data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-pg-")) if self._own_dir else Path(data_dir)

    @property
    def url(self) -> str:
        """The URL of the `postgres` database, as user postgres (no password)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_user(self) -> dict:
        return {"user": self.as_user, "group": self.as_user, "extra_groups": []} if self.as_user else {}

    def start(self, timeout: float = 30.0) -> Postgres:
        """Create the cluster if needed and start the server; returns self once pg_isready answers.
        PostgresError if initdb fails, the server exits, or it is not ready within `timeout` seconds."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self.data_dir / "pgdata"
        sock = self.data_dir / "sock"
        sock.mkdir(exist_ok=True)
        if self.as_user:
            pw = pwd.getpwnam(self.as_user)
            for path in (self.data_dir, sock):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        if not pgdata.exists():
            res = subprocess.run([str(self.bin / "initdb"), "-D", str(pgdata), "-U", "postgres",
                                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                                 capture_output=True, text=True, cwd=self.data_dir, **self._as_user())
            if res.returncode != 0:
                raise PostgresError(f"initdb failed: {res.stderr[-800:]}")
        # The server keeps its own copy of the log's descriptor; ours closes once it has started.
        with open(self.data_dir / "postgres.log", "ab") as log:
            self.proc = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(pgdata), "-p", str(self.port), "-h", "127.0.0.1",
                 "-k", str(sock), "-c", "fsync=on", "-c", "max_connections=50"],
                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True, cwd=self.data_dir,
                **self._as_user())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PostgresError(f"postgres exited: {(self.data_dir / 'postgres.log').read_text()[-800:]}")
            res = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                 capture_output=True)
            if res.returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise PostgresError("postgres did not become ready")

    def create_database(self, name: str) -> str:
        """Create database `name` and return its URL; psycopg's error if it already exists."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Fast shutdown (SIGINT; SIGKILL after 20 s); as root the temporary cluster folder is removed too."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: ends sessions, checkpoints
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Postgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
