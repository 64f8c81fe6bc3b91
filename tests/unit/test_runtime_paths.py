"""Every file the tools write at run time lands under the state directory."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cvw import runner
from cvw.config import (
    PROJECT_ROOT,
    Settings,
    airflow_env,
    load_settings,
    spark_conf,
    spark_env,
)

PATH_VARIABLES = (
    "AIRFLOW_HOME",
    "AIRFLOW__LOGGING__BASE_LOG_FOLDER",
    "AIRFLOW__COSMOS__CACHE_DIR",
    "TMPDIR",
    "DBT_LOG_PATH",
)


def _settings(monkeypatch: pytest.MonkeyPatch, state_dir: Path) -> Settings:
    monkeypatch.setenv("CVW_STATE_DIR", str(state_dir))
    return load_settings()


def test_airflow_env_puts_every_runtime_path_under_the_state_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    state_dir = tmp_path / "alice"
    env = airflow_env(_settings(monkeypatch, state_dir))

    assert env["CVW_STATE_DIR"] == str(state_dir)
    assert env["AIRFLOW_HOME"] == str(state_dir / "airflow")
    assert env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] == str(state_dir / "airflow" / "logs")
    assert env["AIRFLOW__COSMOS__CACHE_DIR"] == str(state_dir / "cosmos")
    assert env["TMPDIR"] == str(state_dir / "tmp")
    assert env["DBT_LOG_PATH"] == str(state_dir / "dbt" / "logs")
    # Cosmos reads run results from its project copy's own target/: no global override.
    assert "DBT_TARGET_PATH" not in env


def test_spark_keeps_its_warehouse_metastore_and_lake_under_the_state_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    state_dir = tmp_path / "alice"
    monkeypatch.delenv("CVW_LAKE_DIR", raising=False)
    monkeypatch.delenv("CVW_ENGINE", raising=False)
    env = airflow_env(_settings(monkeypatch, state_dir))

    assert env["CVW_ENGINE"] == "postgres"
    assert env["CVW_LAKE_DIR"] == str(state_dir / "lake")
    assert env["SPARK_WAREHOUSE_DIR"] == str(state_dir / "spark" / "warehouse")
    # Derby admits one process per metastore: never one in the working directory.
    assert env["SPARK_METASTORE_URL"] == (
        f"jdbc:derby:;databaseName={state_dir / 'spark' / 'metastore_db'};create=true"
    )
    assert env["SPARK_DRIVER_JAVA_OPTIONS"] == f"-Dderby.system.home={state_dir / 'spark'}"


def test_dbt_spark_output_has_the_spark_settings_of_every_other_spark_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = _settings(monkeypatch, tmp_path / "alice")
    env = spark_env(settings)
    profiles = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "profiles.yml").read_text())
    parameters = profiles["customer_value"]["outputs"]["spark"]["server_side_parameters"]
    rendered = {
        key: re.sub(r"\{\{ env_var\('(\w+)'\) \}\}", lambda m: env[m.group(1)], str(value))
        for key, value in parameters.items()
    }

    assert rendered == spark_conf(settings)


def test_an_unknown_engine_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CVW_ENGINE", "Spark")
    assert _settings(monkeypatch, tmp_path).engine == "spark"
    monkeypatch.setenv("CVW_ENGINE", "duckdb")
    with pytest.raises(ValueError, match="CVW_ENGINE must be one of postgres, spark"):
        load_settings()


def test_two_state_dirs_share_no_runtime_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    alice = airflow_env(_settings(monkeypatch, tmp_path / "alice"))
    bob = airflow_env(_settings(monkeypatch, tmp_path / "bob"))

    for name in PATH_VARIABLES:
        assert not Path(alice[name]).is_relative_to(tmp_path / "bob"), name
        assert not Path(bob[name]).is_relative_to(tmp_path / "alice"), name


def test_dbt_commands_write_target_and_logs_under_the_state_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    state_dir = tmp_path / "alice"
    args = runner.dbt_args(_settings(monkeypatch, state_dir), "parse")

    assert args[1] == "parse"
    assert args[args.index("--target-path") + 1] == str(state_dir / "dbt" / "target")
    assert args[args.index("--log-path") + 1] == str(state_dir / "dbt" / "logs")


def test_airflow_cosmos_and_tempfile_see_the_state_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The variable names are the ones the installed tools read, in a fresh process."""
    state_dir = tmp_path / "alice"
    env = runner.tool_env(_settings(monkeypatch, state_dir))
    probe = (
        "import json, tempfile\n"
        "from airflow.configuration import conf\n"
        "import cosmos.settings\n"
        "print(json.dumps({'temp': tempfile.gettempdir(),"
        " 'cosmos_cache': str(cosmos.settings.cache_dir),"
        " 'airflow_logs': conf.get('logging', 'base_log_folder')}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen == {
        "temp": str(state_dir / "tmp"),
        "cosmos_cache": str(state_dir / "cosmos"),
        "airflow_logs": str(state_dir / "airflow" / "logs"),
    }
