"""``policy promote`` writes a new version: comments kept, old text kept byte for byte, new
hash, refused for the shipped default and for a no-op; an invalid file is never written."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import DEFAULT_POLICY, PolicyError, parse_policy
from router.domain import Mode
from router.rollout.promote import PromoteError, promote


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(DEFAULT_POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_promote_writes_the_next_version_and_keeps_the_old(shop: Path) -> None:
    before = shop.read_text(encoding="utf-8")
    done = promote(shop, "order_status", Mode.AUTO)
    after = parse_policy(shop.read_text(encoding="utf-8"))
    assert after.rollout.mode_for("order_status") is Mode.AUTO
    assert after.rollout.mode_for("refund_status") is Mode.ASSIST
    assert after.version == 2 and done.version == 2 and done.previous_mode is Mode.ASSIST
    assert done.kept == shop.with_name("shop.v1.yaml")
    assert done.kept.read_text(encoding="utf-8") == before
    assert done.old_hash == parse_policy(before).hash != done.new_hash == after.hash
    assert "# Rollout: how far deskroute may act" in shop.read_text(encoding="utf-8")
    again = promote(shop, "refund_status", Mode.SHADOW)
    assert again.version == 3 and shop.with_name("shop.v2.yaml").exists()
    assert parse_policy(shop.read_text(encoding="utf-8")).rollout.intents == {
        "order_status": Mode.AUTO, "refund_status": Mode.SHADOW}


def test_a_policy_without_rollout_keys_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text("name: mini\nmin_confidence: 0.8\n", encoding="utf-8")
    promote(path, "order_status", Mode.AUTO)
    p = parse_policy(path.read_text(encoding="utf-8"))
    assert p.version == 2 and p.rollout.intents == {"order_status": Mode.AUTO}


def test_refusals(shop: Path, tmp_path: Path) -> None:
    with pytest.raises(PromoteError, match="shipped with deskroute"):
        promote(DEFAULT_POLICY, "order_status", Mode.AUTO)
    promote(shop, "order_status", Mode.AUTO)
    with pytest.raises(PromoteError, match="already in auto"):
        promote(shop, "order_status", Mode.AUTO)
    with pytest.raises(PromoteError, match="cannot read"):
        promote(tmp_path / "missing.yaml", "x", Mode.AUTO)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nescalate_signal: {}\n", encoding="utf-8")
    with pytest.raises(PolicyError):
        promote(bad, "order_status", Mode.AUTO)
    assert not (tmp_path / "bad.v1.yaml").exists()
    text = shop.read_text(encoding="utf-8")
    with pytest.raises(PromoteError, match="invalid"):
        promote(shop, "x" * 200, Mode.AUTO)  # an intent name the schema refuses
    assert shop.read_text(encoding="utf-8") == text
