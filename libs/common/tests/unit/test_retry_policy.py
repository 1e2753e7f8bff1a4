from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bkpsdm.common.retry import RetryPolicy


@given(
    attempt=st.integers(min_value=1, max_value=50),
    base=st.floats(min_value=0.01, max_value=2.0),
    cap=st.floats(min_value=0.01, max_value=30.0),
)
def test_backoff_is_positive_and_never_exceeds_its_cap(attempt: int, base: float, cap: float) -> None:
    policy = RetryPolicy(max_attempts=5, base_delay_s=base, max_delay_s=cap)
    delay = policy.delay(attempt)
    ceiling = min(base * 2 ** (attempt - 1), cap)
    assert ceiling / 2 <= delay <= ceiling


def test_backoff_grows_until_the_cap() -> None:
    policy = RetryPolicy(max_attempts=6, base_delay_s=0.1, max_delay_s=1.0)
    floors = [min(0.1 * 2 ** (a - 1), 1.0) / 2 for a in range(1, 7)]
    assert floors == sorted(floors)
    assert all(policy.delay(a) >= floors[a - 1] for a in range(1, 7))
