"""The warehouse's role names, one per component (what each may do: cvw.access)."""

LOADER = "cvw_loader"
TRANSFORMER = "cvw_transformer"
PUBLISHER = "cvw_publisher"
MARTS_OWNER = "cvw_marts_owner"
CORE_BANKING_READER = "cvw_core_banking_reader"
