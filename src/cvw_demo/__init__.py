"""The demo harness over the warehouse and the simulated sources: an embedded
PostgreSQL, the one-command demo, the benchmark and the Superset dashboards."""
