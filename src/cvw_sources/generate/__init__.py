"""Deterministic synthetic data for the three source systems: core banking, ERP and CRM.

``generate(params, ...)`` rebuilds the core-banking database, the ERP export
folders, the CRM SQLite file and the truth files. The same parameters always
produce the same data, byte for byte.
"""

from cvw_sources.generate.params import GenerationSummary, GeneratorParams
from cvw_sources.generate.run import generate
from cvw_sources.generate.world import CHURN_HAZARDS

__all__ = ["CHURN_HAZARDS", "GenerationSummary", "GeneratorParams", "generate"]
