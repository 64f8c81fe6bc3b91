"""The Parquet copy of the landings: types and the replacement of a partition."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cvw import lake
from cvw.catalog import ALL_TABLES, table


def test_every_catalog_column_has_an_exact_parquet_type():
    for source in ALL_TABLES:
        schema = lake.landing_schema(source)
        assert lake.PARTITION_COLUMN not in schema.names
        assert schema.names == [*source.column_names, "_batch_id", "_loaded_at"]


def test_money_and_moments_keep_their_precision():
    assert lake.arrow_type("numeric(18,2)") == pa.decimal128(18, 2)
    assert lake.arrow_type("numeric(9, 6)") == pa.decimal128(9, 6)
    assert lake.arrow_type("timestamptz") == pa.timestamp("us", tz="UTC")
    with pytest.raises(ValueError, match="no Parquet type"):
        lake.arrow_type("jsonb")


def test_partition_path_is_hive_style(tmp_path: Path):
    path = lake.partition_dir(tmp_path, table("core_banking", "balances"), date(2026, 10, 31))
    assert path == tmp_path / "raw_core_banking" / "balances" / "_logical_date=2026-10-31"


def _write(rows: int):
    def write(path: Path) -> int:
        pq.write_table(pa.table({"n": list(range(rows))}), path)
        return rows

    return write


def test_a_rewrite_replaces_the_partition_whole(tmp_path: Path):
    target = tmp_path / "_logical_date=2026-10-31"
    lake._replace_dir(target, _write(3))
    (target / "stray.parquet").write_bytes(b"")
    assert lake._replace_dir(target, _write(2)) == 2
    assert sorted(p.name for p in target.iterdir()) == [lake.PART_FILE]
    assert pq.read_table(target / lake.PART_FILE).num_rows == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_a_failed_write_leaves_the_previous_partition(tmp_path: Path):
    target = tmp_path / "_logical_date=2026-10-31"
    lake._replace_dir(target, _write(3))

    def fail(path: Path) -> int:
        path.write_bytes(b"half a file")
        raise OSError("disk full")

    with pytest.raises(OSError):
        lake._replace_dir(target, fail)
    assert pq.read_table(target / lake.PART_FILE).num_rows == 3


def test_a_swap_killed_between_its_renames_is_undone_by_the_next_write(tmp_path: Path):
    target = tmp_path / "_logical_date=2026-10-31"
    lake._replace_dir(target, _write(3))
    target.rename(target.with_name(f".replaced-{target.name}"))

    def check_restored(path: Path) -> int:
        assert pq.read_table(target / lake.PART_FILE).num_rows == 3
        return _write(1)(path)

    lake._replace_dir(target, check_restored)
    assert pq.read_table(target / lake.PART_FILE).num_rows == 1
