-- One PostgreSQL service holds Airflow's metadata, the simulated core banking and the warehouse.
create database airflow;
create database core_banking;
create database warehouse;
