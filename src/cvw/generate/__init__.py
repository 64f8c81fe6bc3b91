"""Deterministic synthetic data for the three source systems: core banking, ERP and CRM.

``generate(params, ...)`` rebuilds the core-banking database, the ERP export
folders, the CRM SQLite file and the truth files. The same parameters always
produce the same data, byte for byte.
"""

from cvw.generate.params import GenerationSummary, GeneratorParams
from cvw.generate.run import generate
from cvw.generate.world import CHURN_HAZARDS

__all__ = ["CHURN_HAZARDS", "GenerationSummary", "GeneratorParams", "generate"]
