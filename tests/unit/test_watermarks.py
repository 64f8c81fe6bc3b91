from datetime import UTC, date, datetime, timedelta

import pytest

from cvw.watermarks import Window, plan_window

D1, D2, D3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)
END1 = datetime(2026, 10, 1, 6, tzinfo=UTC)
END2 = datetime(2026, 10, 2, 6, tzinfo=UTC)
END3 = datetime(2026, 10, 3, 6, tzinfo=UTC)


def test_first_load_has_no_lower_bound():
    assert plan_window([], D1, END1) == Window(start=None, end=END1)


def test_next_date_starts_where_the_previous_window_ended():
    assert plan_window([(D1, END1)], D2, END2) == Window(start=END1, end=END2)


def test_rerun_of_a_date_reuses_its_original_start():
    history = [(D1, END1), (D2, END2)]
    assert plan_window(history, D2, END2) == Window(start=END1, end=END2)


def test_backfill_between_loaded_dates_starts_after_the_earlier_date_only():
    history = [(D1, END1), (D3, END3)]
    assert plan_window(history, D2, END2) == Window(start=END1, end=END2)


def test_window_rejects_naive_timestamps():
    with pytest.raises(ValueError, match="timezone"):
        Window(start=None, end=datetime(2026, 10, 1))


LOOKBACK = timedelta(days=3)


def test_lookback_opens_the_window_before_the_watermark():
    # Watermark 2026-10-01 06:00 minus three days.
    start = datetime(2026, 9, 28, 6, tzinfo=UTC)
    assert plan_window([(D1, END1)], D2, END2, LOOKBACK) == Window(start=start, end=END2)


def test_rerun_with_lookback_reuses_its_original_start():
    history = [(D1, END1), (D2, END2)]
    start = datetime(2026, 9, 28, 6, tzinfo=UTC)
    assert plan_window(history, D2, END2, LOOKBACK) == Window(start=start, end=END2)


def test_first_load_ignores_the_lookback():
    assert plan_window([], D1, END1, LOOKBACK) == Window(start=None, end=END1)


def test_backfill_behind_a_later_watermark_reads_only_the_lookback_before_its_end():
    # An earlier date's batch ended after this date's end: the watermark is capped at END1.
    history = [(date(2026, 9, 30), END3)]
    start = datetime(2026, 9, 28, 6, tzinfo=UTC)
    assert plan_window(history, D1, END1, LOOKBACK) == Window(start=start, end=END1)


def test_negative_lookback_is_refused():
    with pytest.raises(ValueError, match="negative"):
        plan_window([(D1, END1)], D2, END2, -LOOKBACK)
