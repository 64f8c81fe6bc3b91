"""The integration tests share one pipeline run: ``first_run`` in ``tests/conftest.py``.

Its parameters stay importable from here for the modules that compare against them.
"""

from tests.pipeline_run import MOMENT, PARAMS

__all__ = ["MOMENT", "PARAMS"]
