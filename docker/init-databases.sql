-- The simulated core banking and the warehouse share the PostgreSQL service;
-- Airflow's metadata database and role come from init-airflow-database.sh.
create database core_banking;
create database warehouse;
