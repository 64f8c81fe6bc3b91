"""docker-compose.yml cannot run without a Docker engine; keep it consistent with the code."""

from __future__ import annotations

import yaml

from cvw.config import PROJECT_ROOT
from cvw.pipeline import CORE_BANKING_CONN_ID, CRM_API_CONN_ID, WAREHOUSE_CONN_ID

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def _environment(service: str) -> dict[str, str]:
    return COMPOSE["services"][service]["environment"]


def test_compose_defines_postgres_and_the_airflow_services():
    assert {"postgres", "airflow-init", "airflow-apiserver", "airflow-scheduler",
            "airflow-dag-processor", "crm-api"} <= set(COMPOSE["services"])  # fmt: skip


def test_every_connection_the_dag_uses_is_configured():
    environment = _environment("airflow-scheduler")
    for conn_id in (WAREHOUSE_CONN_ID, CORE_BANKING_CONN_ID, CRM_API_CONN_ID):
        assert f"AIRFLOW_CONN_{conn_id.upper()}" in environment
    for name in ("WAREHOUSE_HOST", "WAREHOUSE_PORT", "WAREHOUSE_USER", "WAREHOUSE_DB"):
        assert name in environment, f"dbt profile variable {name} missing"


def test_paths_in_compose_exist_in_the_repository():
    build = COMPOSE["services"]["airflow-scheduler"]["build"]
    assert (PROJECT_ROOT / build["context"] / build["dockerfile"]).is_file()
    dags_folder = _environment("airflow-scheduler")["AIRFLOW__CORE__DAGS_FOLDER"]
    assert dags_folder == "/opt/cvw/dags" and (PROJECT_ROOT / "dags").is_dir()
    for volume in COMPOSE["services"]["postgres"]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert (PROJECT_ROOT / source).is_file(), source


def test_the_image_installs_the_same_lock_file():
    dockerfile = (PROJECT_ROOT / "docker" / "Dockerfile").read_text()
    assert "apache/airflow:3.3.2-python3.11" in dockerfile
    assert "--require-hashes -r /opt/cvw/requirements/requirements.lock" in dockerfile
    assert (
        "apache-airflow==3.3.2" in (PROJECT_ROOT / "requirements" / "requirements.lock").read_text()
    )


def test_the_dag_reads_the_manifest_the_image_parsed():
    dockerfile = (PROJECT_ROOT / "docker" / "Dockerfile").read_text()
    # The image runs `dbt parse` in /opt/cvw/dbt_project without a target path: target/.
    assert "WORKDIR /opt/cvw" in dockerfile and "cd dbt_project &&" in dockerfile
    assert "--target-path" not in dockerfile
    environment = _environment("airflow-scheduler")
    assert environment["CVW_DBT_TARGET_PATH"] == "/opt/cvw/dbt_project/target"
