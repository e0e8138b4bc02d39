"""The median working days are taken from counts per value (the SQL groups tasks by their day pair)."""

from collections import Counter
from statistics import median

from hypothesis import given
from hypothesis import strategies as st

from hub.supervision.service import median_of


@given(st.dictionaries(st.integers(0, 40), st.integers(1, 50), max_size=12))
def test_the_median_of_counts_is_the_median_of_the_values_they_count(counts):
    values = [value for value, n in counts.items() for _ in range(n)]
    expected = float(median(values)) if values else None
    assert median_of(Counter(counts)) == expected


def test_no_answers_no_median():
    assert median_of(Counter()) is None
