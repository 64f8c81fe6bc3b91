"""Benchmark the nightly pipeline at a named size and write the figures down.

Usage: cvw bench --size S|M [--regenerate] [--increments N] [--no-bare-dbt]
(make bench SIZE=S|M); CVW_ENGINE=spark benchmarks the Spark build.

S is the demo (1,000 customers x 13 months), M a mid-sized bank (100,000
customers x 24 months, about 29M core-banking rows). Each size keeps its own
state (embedded PostgreSQL, sources, Airflow home) under ``.state/bench/<size>``
on its own port, so the demo and the tests are never touched. The run:

1. generates the source systems if they are missing (or ``--regenerate``) and
   vacuums the core-banking tables, as a source system's own maintenance
   would have long before a night's extract (timed apart, ``settle_sources_s``);
2. full build: a new warehouse, the DAG for the morning after the as-of day
   (everything the sources hold);
3. two increments: one more business day is added to the sources (its
   transactions and CRM interactions, see ``cvw_sources.generate.next_day``) and the
   DAG runs for the next logical date, landing only that day and publishing
   again; then once more. The first night after a warehouse's first publish
   starts its build area from copies of the incremental marts (there are no
   marts a publish replaced yet, see ``sql/prepare_marts_build.sql``), a cost
   paid once (``first_increment_s``); every later night renames the replaced
   marts instead, so the second one is the nightly increment (``increment_s``);
4. a bare ``dbt build --full-refresh`` of the same project on the same data
   (the work of the full build, incremental models included), to measure
   what Airflow adds around dbt;
5. a raw COPY of the largest source table into a table of the same shape, the
   ceiling the extract is compared against.

Figures go to ``.state/bench/<size>.json`` (``<size>-spark.json`` on Spark)
and a Markdown table beside it. On Spark the lake and Spark's warehouse start
empty too, and their size on disk is reported beside the database's.
Peak memory is the largest sum of resident memory over this process and all
its children (Airflow, dbt, GX), sampled every half second; the PostgreSQL
server is reported apart as the database's size on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg

from cvw.config import PROJECT_ROOT
from cvw.db_rows import one_row, one_value

SIZES = {"S": (1_000, 13), "M": (100_000, 24)}
PORTS = {"S": (25436, 28096), "M": (25437, 28097)}
BENCH_DIR = PROJECT_ROOT / ".state" / "bench"
LARGEST_SOURCE_TABLE = "transactions"


def figures_name(size: str, engine: str) -> str:
    return size if engine == "postgres" else f"{size}-{engine}"


def configure(size: str) -> None:
    """Point every setting at this size's own state before anything reads them."""
    customers, months = SIZES[size]
    pg_port, crm_port = PORTS[size]
    os.environ.update(
        CVW_STATE_DIR=str(BENCH_DIR / size),
        CVW_PG_PORT=str(pg_port),
        CVW_CRM_PORT=str(crm_port),
        CVW_CUSTOMERS=str(customers),
        CVW_MONTHS=str(months),
    )
    for name in ("WAREHOUSE_URL", "CORE_BANKING_URL", "ERP_EXPORT_DIR", "CRM_API_URL"):
        os.environ.pop(name, None)


class PeakMemory(threading.Thread):
    """Largest resident memory of this process tree seen while it runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_bytes = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._stopped.wait(0.5):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_bytes = max(self.peak_bytes, total)

    def stop(self) -> int:
        self._stopped.set()
        self.join()
        return self.peak_bytes // (1024 * 1024)


@dataclass
class Stopwatch:
    seconds: dict[str, float]

    @contextmanager
    def time(self, key: str, title: str) -> Iterator[None]:
        print(f"==> {title}", flush=True)
        started = time.monotonic()
        yield
        self.seconds[key] = round(time.monotonic() - started, 1)
        print(f"    done in {self.seconds[key]:.1f} s", flush=True)


def stage_seconds(airflow_db: Path, dag_id: str) -> dict[str, float]:
    """Seconds per pipeline stage of the DAG's latest run, from Airflow's metadata."""
    import sqlite3

    with sqlite3.connect(airflow_db) as conn:
        (run_id,) = conn.execute(
            "select run_id from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)
        ).fetchone()
        rows = conn.execute(
            "select task_id, julianday(start_date), julianday(end_date) from task_instance"
            " where dag_id = ? and run_id = ? and start_date is not null",
            (dag_id, run_id),
        ).fetchall()
    spans: dict[str, tuple[float, float]] = {}
    for task_id, start, end in rows:
        stage = "dbt" if task_id.startswith("dbt_build.") else task_id
        low, high = spans.get(stage, (start, end))
        spans[stage] = (min(low, start), max(high, end or start))
    return {stage: round((end - start) * 86400, 1) for stage, (start, end) in spans.items()}


def largest_extract_rate(warehouse_url: str, logical_date: date) -> float:
    with psycopg.connect(warehouse_url) as conn:
        rows, seconds = one_row(
            conn.execute(
                "select rows_loaded, extract(epoch from finished_at - started_at)"
                " from raw_meta.load_batches where source_system = 'core_banking'"
                " and table_name = %s and logical_date = %s",
                (LARGEST_SOURCE_TABLE, logical_date),
            )
        )
    return float(rows) / float(seconds)


def raw_copy_rate(warehouse_url: str, core_banking_url: str) -> float:
    """COPY the largest source table, as is, into an empty warehouse table of the same shape.

    The table is committed before the COPY, as a raw landing table is: a table
    created in the loading transaction skips the WAL on a minimal-WAL server,
    which no nightly landing can.
    """
    from cvw.catalog import create_table_sql, table

    source = table("core_banking", LARGEST_SOURCE_TABLE)
    columns = ", ".join(source.column_names)
    with (
        psycopg.connect(warehouse_url) as warehouse,
        psycopg.connect(core_banking_url) as core_banking,
    ):
        warehouse.execute("drop table if exists public.benchmark_raw_copy")
        warehouse.execute(create_table_sql(source, "public.benchmark_raw_copy", lineage=False))
        warehouse.commit()
        started = time.monotonic()
        with (
            core_banking.cursor().copy(
                f"copy (select {columns} from {source.name}) to stdout"
            ) as out,
            warehouse.cursor().copy(
                f"copy public.benchmark_raw_copy ({columns}) from stdin"
            ) as into,
        ):
            for block in out:
                into.write(block)
        warehouse.commit()
        elapsed = time.monotonic() - started
        rows = int(one_value(warehouse.execute("select count(*) from public.benchmark_raw_copy")))
        warehouse.execute("drop table public.benchmark_raw_copy")
    return rows / elapsed


def settle_sources(core_banking_url: str) -> None:
    """Vacuum the simulated core banking before the clock starts.

    A bank's core-banking tables were vacuumed long before tonight's extract,
    on a server of their own. Freshly generated ones are not: their first
    autovacuum (23M transactions at M) started during the full build's extract
    and raw gate and took CPU from both, while the raw COPY this benchmark
    compares the extract with ran after it on settled tables.
    """
    with psycopg.connect(core_banking_url, autocommit=True) as conn:
        conn.execute("vacuum (analyze)")


def source_rows(core_banking_url: str) -> int:
    from cvw.catalog import tables_of

    with psycopg.connect(core_banking_url) as conn:
        return sum(
            int(one_value(conn.execute(f"select count(*) from {source.name}")))
            for source in tables_of("core_banking")
        )


def disk_mb(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) // (1024 * 1024)


def markdown(result: dict[str, Any]) -> str:
    """The figures as a Markdown table; rows of the steps a run skipped are left out."""
    stages = " / ".join(f"{name} {seconds:.0f}" for name, seconds in result["stages"].items())
    engine = result.get("engine", "postgres")
    lines = [
        f"| {result['size']}: {result['customers']:,} customers x {result['months']} months,"
        f" built on {engine} | |",
        "|---|---|",
        f"| core-banking source rows | {result['source_rows']:,} |",
        f"| generate sources | {result['generate_s']:.0f} s |",
        f"| vacuum the generated core banking | {result['settle_sources_s']:.0f} s |",
        f"| full build (extract, raw gate, dbt, marts gate, publish) | {result['full_s']:.0f} s |",
        f"| full build by stage (s) | {stages} |",
    ]
    if "first_increment_s" in result:
        lines.append(
            f"| first night after the first publish (copies the incremental marts once) |"
            f" {result['first_increment_s']:.0f} s |"
        )
    if "increment_s" in result:
        lines.append(
            f"| next logical date (nightly increment) | {result['increment_s']:.0f} s"
            f" ({result['increment_s'] / result['full_s']:.0%} of full) |"
        )
    if "bare_dbt_s" in result:
        lines.append(
            f"| dbt inside the DAG / bare `dbt build` | {result['airflow_dbt_s']:.0f} s /"
            f" {result['bare_dbt_s']:.0f} s"
            f" ({result['airflow_dbt_s'] / result['bare_dbt_s']:.2f}x) |"
        )
    else:
        lines.append(f"| dbt inside the DAG | {result['airflow_dbt_s']:.0f} s |")
    lines += [
        f"| largest extract / raw COPY (rows/s) | {result['extract_rows_per_s']:,.0f} /"
        f" {result['raw_copy_rows_per_s']:,.0f}"
        f" ({result['extract_rows_per_s'] / result['raw_copy_rows_per_s']:.0%}) |",
        f"| GX gates (both, full build) | {result['gx_s']:.0f} s"
        f" ({result['gx_s'] / result['full_s']:.0%} of full) |",
        *(
            f"| matching {system}: {m['records']:,} records | precision {m['precision']:.4f},"
            f" recall {m['recall']:.4f} |"
            for system, m in result["matching"].items()
        ),
        f"| peak memory of the process tree | {result['peak_rss_mb']:,} MB |",
        f"| warehouse database size | {result['db_size_mb']:,} MB |",
    ]
    if "lake_mb" in result:
        lines.append(
            f"| Parquet lake / Spark warehouse on disk | {result['lake_mb']:,} MB /"
            f" {result['spark_warehouse_mb']:,} MB |"
        )
    return "\n".join(lines) + "\n"


def run_bench(args: argparse.Namespace) -> int:
    configure(args.size)

    from cvw import runner
    from cvw.access import bootstrap
    from cvw.config import load_settings
    from cvw_demo import embedded_pg
    from cvw_sources.cli import configured_params, generate_configured
    from cvw_sources.crm_api_process import serving
    from cvw_sources.generate.next_day import append_next_day

    settings = load_settings()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    watch = Stopwatch({})
    memory = PeakMemory()
    memory.start()
    as_of = date.fromisoformat(settings.as_of)
    full_moment = datetime(as_of.year, as_of.month, as_of.day, 6, tzinfo=UTC) + timedelta(days=1)
    nights = {
        name: full_moment + timedelta(days=day)
        for day, name in enumerate(["full", "first_increment", "increment"][: 1 + args.increments])
    }
    params = configured_params(settings)
    generated_stamp = settings.state_dir / "sources" / "generated.json"

    embedded_pg.start(settings)
    stamp = json.loads(generated_stamp.read_text()) if generated_stamp.exists() else {}
    # A previous run added a day to the sources: start again from the generated state.
    if args.regenerate or stamp.get("params") != params.as_json() or stamp.get("next_day"):
        title = f"Generating sources ({params.customers:,} customers x {params.months} months)"
        with watch.time("generate", title):
            generate_configured(
                params, settings, progress=lambda message: print(f"    {message}", flush=True)
            )
        stamp = {"params": params.as_json(), "generate_s": watch.seconds["generate"]}
        generated_stamp.write_text(json.dumps(stamp))

    with watch.time("settle_sources", "Vacuuming the core-banking source tables"):
        settle_sources(settings.core_banking_url)
    generated_rows = source_rows(settings.core_banking_url)

    with psycopg.connect(embedded_pg.server_url(settings), autocommit=True) as conn:
        conn.execute('drop database if exists "warehouse" with (force)')
        conn.execute('create database "warehouse"')
    bootstrap(settings)
    if settings.engine == "spark":
        for folder in (settings.lake_dir, settings.spark_dir):
            shutil.rmtree(folder, ignore_errors=True)
    with serving(settings):
        runner.dbt_parse(settings)
        runner.airflow_db_migrate(settings)
        airflow_db = settings.airflow_home / "airflow.db"
        stages = {}
        previous = None
        for name, moment in nights.items():
            if previous is not None:
                # Each night repeats the last generated day, a full day of activity.
                added = append_next_day(
                    settings.core_banking_url, settings.crm_db_path, previous, repeated_day=as_of
                )
                generated_stamp.write_text(json.dumps({**stamp, "next_day": True}))
                print(f"    added a day after {previous.isoformat()} to the sources: {added}")
            previous = moment
            with watch.time(name, f"DAG run ({name}), logical date {moment.isoformat()}"):
                result = runner.run_dag(settings, moment, progress=lambda _line: None)
            if not result.succeeded:
                failed = result.failed_tasks()
                raise RuntimeError(
                    f"{name} build ended {result.state}; {len(failed)} tasks did not succeed,"
                    f" e.g. {', '.join(failed[:3])} (log {result.log_path})"
                )
            stages[name] = stage_seconds(airflow_db, runner.DAG_ID)
    if args.bare_dbt:
        with watch.time("bare_dbt", "Bare dbt build on the same data"):
            runner.dbt_build(settings)
    with watch.time("raw_copy", "Raw COPY of the largest source table"):
        copy_rate = raw_copy_rate(settings.warehouse_url, settings.core_banking_url)

    from cvw_demo.match_quality import score

    if settings.engine == "spark":
        from cvw.marts_reader import spark_fetch
        from cvw.spark import local_session

        with local_session(settings) as spark:
            matching = score(spark_fetch(spark), settings.truth_dir)
    else:
        from cvw.marts_reader import postgres_fetch

        with psycopg.connect(settings.warehouse_url) as conn:
            matching = score(postgres_fetch(conn), settings.truth_dir)
    full = stages["full"]
    with psycopg.connect(settings.warehouse_url) as conn:
        db_size = one_value(conn.execute("select pg_database_size(current_database())"))
    figures: dict[str, Any] = {
        "size": args.size,
        "engine": settings.engine,
        "customers": settings.customers,
        "months": settings.months,
        "source_rows": generated_rows,
        "generate_s": stamp["generate_s"],
        "settle_sources_s": watch.seconds["settle_sources"],
        "full_s": watch.seconds["full"],
        **{f"{night}_s": watch.seconds[night] for night in nights if night != "full"},
        "stages": full,
        **({"increment_stages": stages["increment"]} if "increment" in stages else {}),
        "airflow_dbt_s": full["dbt"],
        **({"bare_dbt_s": watch.seconds["bare_dbt"]} if args.bare_dbt else {}),
        "extract_rows_per_s": round(
            largest_extract_rate(settings.warehouse_url, full_moment.date())
        ),
        "raw_copy_rows_per_s": round(copy_rate),
        "gx_s": round(full["validate_raw_landings"] + full["validate_marts"], 1),
        "peak_rss_mb": memory.stop(),
        "matching": matching,
        "db_size_mb": db_size // (1024 * 1024),
        **(
            {
                "lake_mb": disk_mb(settings.lake_dir),
                "spark_warehouse_mb": disk_mb(settings.spark_dir / "warehouse"),
            }
            if settings.engine == "spark"
            else {}
        ),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    name = figures_name(args.size, settings.engine)
    (BENCH_DIR / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    table = markdown(figures)
    (BENCH_DIR / f"{name}.md").write_text(table)
    print()
    print(table)
    print(f"Figures written to {BENCH_DIR / f'{name}.json'}")
    return 0
