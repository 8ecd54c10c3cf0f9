"""A PostgreSQL server of the tests' own: initdb in a temporary folder, started on a free
loopback port with fsync off, stopped at the end. Each test gets a fresh database copied from
one migrated with Alembic, and the whole bot then runs on it exactly as on SQLite.

Debian's `postgresql` package provides the server (`.ci/run` installs it). Without it the
tests here are skipped, except in CI, where a missing server is a failure.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.migrate import upgrade

USER = "yimen"
TEMPLATE = "yimen_template"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Server:
    bindir: Path
    host: str
    port: int
    as_owner: tuple[str, ...]  # how to run a server command (as `postgres` when we are root)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{USER}@{self.host}:{self.port}/{database}"

    def run(self, program: str, *args: str) -> None:
        command = [*self.as_owner, str(self.bindir / program), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def client(self, program: str, *args: str) -> None:
        self.run(program, "-h", self.host, "-p", str(self.port), "-U", USER, *args)


def _bindir() -> Path | None:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: tuple(int(n) for n in p.parts[-3].split(".") if n.isdigit()),
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    bindir = _bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    # In /tmp itself: the server's own user must reach it (a root TMPDIR may be closed to it).
    folder = Path(tempfile.mkdtemp(prefix="yimen-pg-", dir="/tmp"))
    as_owner: tuple[str, ...] = ()
    if os.geteuid() == 0:  # initdb refuses to run as root: the server runs as `postgres`
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_owner = ("runuser", "-u", "postgres", "--")
    server = Server(bindir, "127.0.0.1", _free_port(), as_owner)
    data = folder / "data"
    server.run("initdb", "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8",
               "--locale=C", "--no-sync")  # fmt: skip
    options = f"-p {server.port} -h {server.host} -k {folder} -F"
    server.run("pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
               "start")  # fmt: skip
    try:
        server.client("createdb", TEMPLATE)
        upgrade(server.url(TEMPLATE))
        yield server
    finally:
        server.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database_url(postgres: Server) -> Iterator[str]:
    """A fresh database for this test, migrated (a copy of the migrated template)."""
    name = f"yimen_test_{next(_numbers)}"
    postgres.client("createdb", "-T", TEMPLATE, name)
    yield postgres.url(name)
    postgres.client("dropdb", "--force", name)


@pytest.fixture
def empty_database_url(postgres: Server) -> Iterator[str]:
    """A database with no tables at all."""
    name = f"yimen_empty_{next(_numbers)}"
    postgres.client("createdb", name)
    yield postgres.url(name)
    postgres.client("dropdb", "--force", name)
