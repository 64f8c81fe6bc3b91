#!/bin/bash
# Airflow's metadata gets its own database owned by its own role: the Airflow
# services never log in as the superuser and own nothing in the warehouse.
# The password comes from the environment (docker-compose.yml), so none is written here.
set -e
if [ -z "${AIRFLOW_DB_PASSWORD}" ]; then
    echo "AIRFLOW_DB_PASSWORD must be set" >&2
    exit 1
fi
# psql reads the password from its own environment (\getenv), so it never
# appears on a command line where the process list would show it.
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres <<'SQL'
\getenv airflow_db_password AIRFLOW_DB_PASSWORD
create role airflow login;
select format('alter role airflow password %L', :'airflow_db_password') \gexec
create database airflow owner airflow;
SQL
