"""The shadow comparison's sample: stable per ticket, about ``rate`` of tickets, off at 0."""

from __future__ import annotations

import pytest

from router.rollout.compare import sampled


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.5])
def test_share_sampled_is_close_to_the_rate(rate: float) -> None:
    share = sum(sampled(i, rate) for i in range(1, 20_001)) / 20_000
    assert abs(share - rate) < 0.01


def test_the_draw_is_stable_and_the_ends_are_exact() -> None:
    assert [sampled(i, 0.3) for i in range(100)] == [sampled(i, 0.3) for i in range(100)]
    assert not any(sampled(i, 0.0) for i in range(1000))
    assert all(sampled(i, 1.0) for i in range(1000))
