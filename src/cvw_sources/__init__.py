"""Simulated source systems for the customer-value warehouse: core banking, ERP, CRM.

Not part of the warehouse a bank deploys. It generates deterministic synthetic
data in each system's own layout (``schema``), serves the CRM as a REST API and
adds business days for incremental runs. See this package's README.
"""
