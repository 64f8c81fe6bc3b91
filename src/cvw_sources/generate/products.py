"""The bank's product shelf: deposits, loans, cards and wealth management."""

from __future__ import annotations

from dataclasses import dataclass

DEPOSIT_FAMILIES = frozenset({"current_deposit", "term_deposit"})
LENDING_FAMILIES = frozenset({"loan", "card"})


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    family: str
    term_months: int
    rate_micro: int  # standard annual rate in millionths: 15_000 is 1.5 %
    is_credit: bool

    @property
    def amortizing(self) -> bool:
        """Repaid in monthly instalments; short working-capital loans are repaid at maturity."""
        return self.family == "loan" and self.term_months > 12


PRODUCTS = (
    Product("CURP", "Personal Current Account", "current_deposit", 0, 2_000, False),
    Product("CURC", "Corporate Settlement Account", "current_deposit", 0, 2_500, False),
    Product("TD03", "3-Month Time Deposit", "term_deposit", 3, 11_000, False),
    Product("TD06", "6-Month Time Deposit", "term_deposit", 6, 13_000, False),
    Product("TD12", "1-Year Time Deposit", "term_deposit", 12, 15_000, False),
    Product("TD36", "3-Year Time Deposit", "term_deposit", 36, 21_000, False),
    Product("LN12", "Working Capital Loan", "loan", 12, 34_500, True),
    Product("LN36", "Personal Consumer Loan", "loan", 36, 52_000, True),
    Product("LN60", "Fixed Asset Loan", "loan", 60, 43_000, True),
    Product("MORT", "Residential Mortgage", "loan", 360, 38_500, True),
    # Card balances mostly sit in the interest-free period: the rate is the effective yield.
    Product("CARD", "Credit Card", "card", 0, 66_000, True),
    Product("WLTH", "Wealth Management Product", "wealth", 0, 0, False),
)
PRODUCT_BY_CODE = {product.code: product for product in PRODUCTS}
