-- The former name of customer_contribution_monthly, kept for one release so
-- that dashboards and queries move to the new name (README, "Contracts for
-- BI"): a view over the table, with exactly its columns.
{{ config(materialized='view', contract={'enforced': false}) }}

select * from {{ ref('customer_contribution_monthly') }}
