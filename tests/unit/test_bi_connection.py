"""Superset's connection to the warehouse: the BI reader only, no password outside the secrets."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest
import yaml

from cvw.access import password
from cvw.config import Settings, load_settings
from cvw_demo import superset as bi


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("CVW_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("CVW_PG_PORT", "55999")
    return load_settings()


def test_the_uri_names_the_reader_and_no_password(settings: Settings) -> None:
    assert bi.warehouse_uri(settings) == (
        "postgresql+psycopg2://cvw_bi_reader@127.0.0.1:55999/warehouse"
    )


def test_the_password_file_holds_the_reader_alone(settings: Settings) -> None:
    path = bi.write_reader_passfile(settings)
    lines = path.read_text().splitlines()
    reader_password = password(settings, "cvw_bi_reader")
    assert lines == [f"127.0.0.1:55999:*:cvw_bi_reader:{reader_password}"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password(settings, "postgres") not in path.read_text()


def test_the_import_fills_in_this_server(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assets = tmp_path / "assets"
    (assets / "databases").mkdir(parents=True)
    (assets / "charts").mkdir()
    committed = {"database_name": "w", "sqlalchemy_uri": bi.COMMITTED_URI, "uuid": "u"}
    (assets / "databases" / "w.yaml").write_text(yaml.safe_dump(committed))
    (assets / "charts" / "c.yaml").write_text("slice_name: 客户分层\n")
    bundles: dict[str, str] = {}

    def read_bundle(_settings: Settings, command: list[str]) -> None:
        with zipfile.ZipFile(command[2]) as archive:
            bundles.update({name: archive.read(name).decode() for name in archive.namelist()})

    monkeypatch.setattr(bi, "_run_in_superset", read_bundle)
    bi.import_assets(settings, assets)
    database = yaml.safe_load(bundles["assets/databases/w.yaml"])
    assert database["sqlalchemy_uri"] == (
        "postgresql+psycopg2://cvw_bi_reader@127.0.0.1:55999/warehouse"
    )
    assert bundles["assets/charts/c.yaml"] == "slice_name: 客户分层\n"


def test_exported_filters_lose_the_instance_chart_ids() -> None:
    dashboard = {
        "metadata": {
            "native_filter_configuration": [
                {"id": "F", "scope": {"excluded": [3]}, "chartsInScope": [1, 2], "tabsInScope": []}
            ],
            "global_chart_configuration": {"scope": {"excluded": []}, "chartsInScope": [1, 2, 3]},
        }
    }
    bi._drop_chart_id_lists(dashboard)
    assert dashboard["metadata"] == {
        "native_filter_configuration": [{"id": "F", "scope": {"excluded": [3]}}],
        "global_chart_configuration": {"scope": {"excluded": []}},
    }
