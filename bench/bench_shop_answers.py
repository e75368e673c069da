"""The labelled shop tickets (tests/data/shop_tickets.csv) through routing and each local mode.

    nice .venv/bin/python bench/bench_shop_answers.py [--mode template --mode slm
                                                       --mode rephrase] [--show]

Routes every ticket with the shipped classifier, signals and default policy; tickets routed
to the local model are answered in each mode by the pipeline's LocalAnswerer (``rephrase`` is
template mode with DESKROUTE_KB_TEMPLATE_REPHRASE on), and every reply that would be sent is
judged sendable / edit / wrong by router.kb.judge (rules in docs/KB.md). Prints one line per
mode, then (with --show) each ticket's outcome.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from router.domain import Route  # noqa: E402
from router.kb.judge import WRONG, Labelled, judge  # noqa: E402

DATA = ROOT / "tests" / "data" / "shop_tickets.csv"


def main() -> int:
    from router.backends.slm import get_slm
    from router.kb.importers import ensure_default_kb
    from router.kb.settings import KBSettings
    from router.pipeline.routing import route_text
    from router.pipeline.services import Services
    from router.store.db import unit_of_work
    from router.store.migrate import upgrade

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", action="append", choices=["template", "slm", "rephrase"])
    parser.add_argument("--show", action="store_true", help="print every ticket's outcome")
    args = parser.parse_args()
    modes = args.mode or ["template"]
    with DATA.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with tempfile.TemporaryDirectory(prefix="bench-shop-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'shop.db'}"
        upgrade(url)
        with unit_of_work(url) as session:
            ensure_default_kb(session)
        services = Services(database_url=url, kb_settings=KBSettings(dir=Path(tmp) / "kb"))
        by_intent: dict[str | None, list[str]] = {}
        for entry in services.kb.entries:
            by_intent.setdefault(entry.intent, []).append(entry.answer)
        decisions = [route_text(services, r["text"]).decision for r in rows]
        print(f"$ {' '.join(sys.argv)}")
        print(f"{len(rows)} tickets, {sum(r['answer_intent'] != 'none' for r in rows)} covered; "
              f"routed local: {sum(d.route is Route.SLM for d in decisions)}")
        for mode in modes:
            settings = KBSettings(dir=Path(tmp) / "kb", template_rephrase=mode == "rephrase")
            from router.answering.local import LocalAnswerer

            answerer = LocalAnswerer(
                settings, services.kb,
                slm=lambda kb=settings: get_slm(services.models, kb=kb),  # type: ignore[misc]
                mode="slm" if mode == "slm" else "template")
            counts: Counter[str] = Counter()
            lines = []
            for row, decision in zip(rows, decisions, strict=True):
                ticket = Labelled(row["text"], row["answer_intent"], row["expect"] or "sendable")
                if decision.route is not Route.SLM:
                    counts["escalated by routing"] += 1
                    lines.append(f"{row['id']} routed {decision.route.value}")
                    continue
                res = answerer.answer(ticket.text, decision.intent)
                if not res.verdict.accepted:
                    counts["refused"] += 1
                    lines.append(f"{row['id']} refused: {'; '.join(res.verdict.reasons)[:120]}")
                    continue
                verdict, why = judge(ticket, res.draft.text, res.source_intent,
                                     by_intent.get(ticket.answer_intent, []))
                counts[verdict] += 1
                if res.draft.backend == "slm":
                    counts["sent as a model draft"] += 1
                lines.append(f"{row['id']} {verdict}{': ' + why if why else ''}"
                             + (f"\n      {res.draft.text[:200]}" if verdict == WRONG else ""))
            print(json.dumps({"mode": mode, **dict(sorted(counts.items()))}))
            if args.show:
                print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
