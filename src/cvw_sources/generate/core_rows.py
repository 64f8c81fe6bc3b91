"""Rows of the large core-banking tables, gathered as columns and sent as COPY text.

Balances, loans, transactions and fee postings run to tens of millions of rows at
bank scale. Each table here collects the values of a run of customers as plain
lists and arrays, and ``encode`` turns them into one block of COPY text at a time
(see ``copy_text``) in the column order of ``cvw_sources.schema``.

Account numbers, transaction ids and fee ids run on across all customers, but a
run of customers is generated before the runs ahead of it are counted (they may
be generated in another process). Rows therefore hold account numbers counted
from the run's first account (1, 2, ...), and ``encode`` is told how many
accounts, transactions and fees came before the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np

from cvw_sources.generate import copy_text
from cvw_sources.generate.account_history import AccountMonths
from cvw_sources.generate.copy_text import Labels
from cvw_sources.generate.fees import FEE_CATEGORIES, Fee
from cvw_sources.generate.transactions import TYPES, AccountTransactions
from cvw_sources.generate.window import SECONDS_PER_DAY, Window
from cvw_sources.generate.world import CHANNELS, RATINGS

ACCOUNT_DIGITS = 10
CUSTOMER_DIGITS = 8
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class MonthLabels:
    """Per window month: the month end and the nightly snapshot stamp of its balances."""

    def __init__(self, window: Window, snapshot_stamps: list[str]) -> None:
        self.month_end = Labels([end.isoformat() for end in window.month_ends])
        self.days = Labels([str(window.days_in(month)) for month in range(window.months)])
        self.snapshot = Labels(snapshot_stamps)


class BalanceRows:
    def __init__(self, months: MonthLabels) -> None:
        self._labels = months
        self._clear()

    def _clear(self) -> None:
        self.accounts: list[int] = []
        self.months: list[int] = []
        self.end: list[int] = []
        self.average: list[int] = []
        self.interest: list[int] = []

    def __len__(self) -> int:
        return len(self.months)

    def add(self, account: int, history: AccountMonths) -> None:
        self.accounts += [account] * len(history.months)
        self.months += history.months
        self.end += history.end
        self.average += history.average
        self.interest += history.interest

    def encode(self, accounts_before: int) -> bytes:
        months = np.array(self.months)
        text = copy_text.rows(
            [
                _account_ids(self.accounts, accounts_before),
                self._labels.month_end.column(months),
                copy_text.decimals(np.array(self.end), 2),
                copy_text.decimals(np.array(self.average), 2),
                copy_text.decimals(np.array(self.interest), 2),
                self._labels.days.column(months),
                self._labels.snapshot.column(months),
            ]
        )
        self._clear()
        return text


class LoanRows:
    def __init__(self, months: MonthLabels, probability_of_default: dict[str, int]) -> None:
        self._labels = months
        self._ratings = Labels(RATINGS)
        default = [probability_of_default[rating] for rating in RATINGS]
        self._default_micro = np.array(default, dtype=np.int64)
        self._clear()

    def _clear(self) -> None:
        self.accounts: list[int] = []
        self.months: list[int] = []
        self.customers: list[int] = []
        self.principal: list[int] = []
        self.outstanding: list[int] = []
        self.rate_micro: list[int] = []
        self.term_months: list[int] = []
        self.ratings: list[int] = []
        self.loss_micro: list[int] = []
        self.days_past_due: list[int] = []

    def __len__(self) -> int:
        return len(self.months)

    def add(
        self,
        account: int,
        customer: int,
        history: AccountMonths,
        *,
        rate_micro: int,
        term_months: int,
        loss_micro: int,
        ratings: list[str],
    ) -> None:
        """``ratings``: the borrower's rating in each of the history's months."""
        count = len(history.months)
        self.accounts += [account] * count
        self.months += history.months
        self.customers += [customer] * count
        self.principal += [history.principal] * count
        self.outstanding += history.end
        self.rate_micro += [rate_micro] * count
        self.term_months += [term_months] * count
        self.ratings += [RATINGS.index(rating) for rating in ratings]
        self.loss_micro += [loss_micro] * count
        self.days_past_due += history.days_past_due

    def encode(self, accounts_before: int) -> bytes:
        months = np.array(self.months)
        ratings = np.array(self.ratings)
        text = copy_text.rows(
            [
                _account_ids(self.accounts, accounts_before),
                self._labels.month_end.column(months),
                copy_text.prefixed("C", np.array(self.customers), CUSTOMER_DIGITS),
                copy_text.decimals(np.array(self.principal), 2),
                copy_text.decimals(np.array(self.outstanding), 2),
                copy_text.decimals(np.array(self.rate_micro), 6),
                copy_text.integers(np.array(self.term_months)),
                self._ratings.column(ratings),
                copy_text.decimals(self._default_micro[ratings], 6),
                copy_text.decimals(np.array(self.loss_micro), 6),
                copy_text.integers(np.array(self.days_past_due)),
                self._labels.snapshot.column(months),
            ]
        )
        self._clear()
        return text


class TransactionRows:
    def __init__(self) -> None:
        self._channels = Labels(CHANNELS)
        self._types = Labels(TYPES)
        self._clear()

    def _clear(self) -> None:
        self.rows = 0
        self.accounts: list[int] = []
        self.customers: list[int] = []
        self.branches: list[str] = []
        self.counts: list[int] = []
        self.batches: list[AccountTransactions] = []

    def __len__(self) -> int:
        return self.rows

    def add(
        self, account: int, customer: int, branch_id: str, transactions: AccountTransactions
    ) -> None:
        self.accounts.append(account)
        self.customers.append(customer)
        self.branches.append(branch_id)
        self.counts.append(len(transactions))
        self.batches.append(transactions)
        self.rows += len(transactions)

    def channel_counts(self) -> Iterator[tuple[int, str, str, int]]:
        """(month, account's branch, channel, transactions) of the pending rows."""
        branch_ids = sorted(set(self.branches))
        code = {branch_id: index for index, branch_id in enumerate(branch_ids)}
        branches = np.repeat([code[branch_id] for branch_id in self.branches], self.counts)
        cells = (self._gather("months") * len(branch_ids) + branches) * len(CHANNELS)
        counts = np.bincount(cells + self._gather("channels"))
        for cell in np.flatnonzero(counts).tolist():
            month_branch, channel = divmod(cell, len(CHANNELS))
            month, branch = divmod(month_branch, len(branch_ids))
            yield month, branch_ids[branch], CHANNELS[channel], int(counts[cell])

    def encode(self, accounts_before: int, transactions_before: int) -> bytes:
        ids = np.arange(transactions_before + 1, transactions_before + self.rows + 1)
        text = copy_text.rows(
            [
                copy_text.integers(ids),
                _account_ids(np.repeat(self.accounts, self.counts), accounts_before),
                copy_text.prefixed("C", np.repeat(self.customers, self.counts), CUSTOMER_DIGITS),
                copy_text.timestamps(self._gather("posted")),
                self._channels.column(self._gather("channels")),
                self._types.column(self._gather("types")),
                copy_text.decimals(self._gather("amounts"), 2),
            ]
        )
        self._clear()
        return text

    def _gather(self, name: str) -> np.ndarray:
        return np.concatenate([getattr(batch, name) for batch in self.batches])


class FeeRows:
    def __init__(self) -> None:
        self._categories = Labels(FEE_CATEGORIES)
        self._clear()

    def _clear(self) -> None:
        self.customers: list[int] = []
        self.accounts: list[int] = []  # 0: the fee is not posted to an account
        self.branches: list[str] = []
        self.categories: list[int] = []
        self.cents: list[int] = []
        self.posted_days: list[int] = []

    def __len__(self) -> int:
        return len(self.cents)

    def add(self, customer: int, branch_id: str, fee: Fee) -> None:
        self.customers.append(customer)
        self.accounts.append(fee.account or 0)
        self.branches.append(branch_id)
        self.categories.append(FEE_CATEGORIES.index(fee.category))
        self.cents.append(fee.cents)
        self.posted_days.append(fee.posted.toordinal() - _EPOCH_ORDINAL)

    def encode(self, accounts_before: int, fees_before: int) -> bytes:
        ids = np.arange(fees_before + 1, fees_before + len(self) + 1)
        accounts = np.array(self.accounts, dtype=np.int64)
        posted_days = np.array(self.posted_days)
        # Fees are booked by the 20:00 batch of their posting day.
        booked = posted_days * SECONDS_PER_DAY + 20 * 3600
        text = copy_text.rows(
            [
                copy_text.integers(ids),
                copy_text.prefixed("C", np.array(self.customers), CUSTOMER_DIGITS),
                copy_text.optional_prefixed(
                    "A", accounts + accounts_before, ACCOUNT_DIGITS, present=accounts > 0
                ),
                copy_text.strings(self.branches),
                self._categories.column(np.array(self.categories)),
                copy_text.decimals(np.array(self.cents), 2),
                copy_text.dates(posted_days),
                copy_text.timestamps(booked),
            ]
        )
        self._clear()
        return text


def _account_ids(accounts: list[int] | np.ndarray, accounts_before: int) -> copy_text.Column:
    return copy_text.prefixed("A", np.asarray(accounts) + accounts_before, ACCOUNT_DIGITS)
