"""Local-model speed per llama.cpp configuration: tokens/s with and without the extra buffer
types (the AMX-safe mode), optionally against another llama-cpp-python build (a portable one).

Each configuration runs in its own worker process that loads the bundled GGUF once; the
driver interleaves their rounds, so every configuration sees the same machine load (this
machine is shared: read the ratios, not the absolute figures).

    python bench/bench_slm.py                                   # this venv: extra on vs off
    python bench/bench_slm.py --other-python /tmp/portable/bin/python --rounds 8
    python bench/bench_slm.py --other-path /tmp/llama-portable   # pip install --target DIR
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROMPT = [{"role": "user", "content": (
    "Rewrite this approved answer for the customer in a friendly tone: Orders ship within two "
    "business days. Delivery inside the EU takes three to five days; you get a tracking link "
    "by e-mail as soon as the parcel leaves our warehouse.")}]


def worker(extra: str, threads: int, max_tokens: int) -> None:
    """Load once, then answer each 'go' line on stdin with one JSON line of timings."""
    sys.path.insert(0, str(REPO))
    from router.backends.slm import SLMBackend
    from router.settings import bundled_slm_path

    backend = SLMBackend(str(bundled_slm_path()), max_tokens=max_tokens, threads=threads,
                         logprobs=False, extra_buffers=extra)  # type: ignore[arg-type]
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    print(json.dumps({"ready": True, "extra": backend.uses_extra_buffers, "info": info,
                      "module": str(Path(llama_cpp.__file__).parent)}), flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        start = time.perf_counter()
        draft = backend._llm.create_chat_completion(  # noqa: SLF001 - raw timing, no verifier
            messages=PROMPT, max_tokens=max_tokens, temperature=0.0, seed=1)
        seconds = time.perf_counter() - start
        usage = draft["usage"]
        print(json.dumps({"seconds": seconds, "completion": usage["completion_tokens"],
                          "prompt": usage["prompt_tokens"]}), flush=True)


def _start(python: str, extra: str, path: str | None,
           args: argparse.Namespace) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*([path] if path else []), str(REPO)])}
    proc = subprocess.Popen(
        [python, __file__, "--worker", "--extra", extra, "--threads", str(args.threads),
         "--max-tokens", str(args.max_tokens)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    proc.info = json.loads(line) if line else {"info": ""}  # type: ignore[attr-defined]
    return proc


def _round(proc: subprocess.Popen[str]) -> dict | None:
    """One timed answer, or None when the worker died (e.g. llama.cpp's AMX segfault)."""
    assert proc.stdin is not None and proc.stdout is not None
    if proc.poll() is not None:
        return None
    try:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    except BrokenPipeError:
        return None
    line = proc.stdout.readline()
    return json.loads(line) if line else None


def _crash(proc: subprocess.Popen[str]) -> str:
    code = proc.wait(timeout=30)
    return f"crashed (signal {-code})" if code < 0 else f"exited with {code}"


def _load(avg: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in avg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--other-python", help="python of a venv with another llama.cpp build")
    ap.add_argument("--other-path", help="folder with another llama-cpp-python build (pip "
                    "install --target), put first on this python's path")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--extra", default="auto", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.extra, args.threads, args.max_tokens)
        return
    # "on" forces llama.cpp's extra buffer types even where AMX is present: on an AMX machine
    # with a native build that is the configuration that segfaults (reported, not fatal here).
    configs = {"this build, extra buffers on": (sys.executable, "on", None),
               "this build, extra buffers off (AMX-safe)": (sys.executable, "off", None)}
    if args.other_python or args.other_path:
        other = (args.other_python or sys.executable, args.other_path)
        configs["other build, extra buffers on"] = (other[0], "on", other[1])
        configs["other build, extra buffers off"] = (other[0], "off", other[1])
    procs = {name: _start(py, extra, path, args) for name, (py, extra, path) in configs.items()}
    runs: dict[str, list[dict]] = {name: [] for name in procs}
    load_start = os.getloadavg()
    crashed: dict[str, str] = {}
    try:
        for _ in range(args.rounds + 1):  # the first round warms caches and is dropped
            for name, proc in procs.items():
                if name in crashed:
                    continue
                row = _round(proc)
                if row is None:
                    crashed[name] = _crash(proc)
                else:
                    runs[name].append(row)
    finally:
        for proc in procs.values():
            proc.terminate()
    # The ratio is the median of per-round ratios to the first configuration's rate in the
    # same round: paired, so a load change between rounds moves both sides.
    base: list[float] | None = None
    print(f"load average: {_load(load_start)} at start, {_load(os.getloadavg())} at end")
    print(f"{'configuration':44s} {'tok/s (median)':>15s} {'p25-p75':>11s} {'ratio':>6s}  "
          "llama.cpp features")
    for name, rows in runs.items():
        if name in crashed:
            print(f"{name:44s} {crashed[name]:>22s}")
            continue
        rates = [r["completion"] / r["seconds"] for r in rows[1:]]
        base = base or rates
        ratio = statistics.median(r / b for r, b in zip(rates, base, strict=False))
        q1, _, q3 = statistics.quantiles(rates, n=4) if len(rates) > 1 else (rates * 3)
        info = procs[name].info  # type: ignore[attr-defined]
        feats = " ".join(p.split("=")[0].replace("CPU :", "").strip()
                         for p in info["info"].split("|")
                         if p.strip().endswith("1"))
        spread = f"{q1:.1f}-{q3:.1f}"
        print(f"{name:44s} {statistics.median(rates):15.1f} {spread:>11s} {ratio:6.2f}  {feats}")
    for name, proc in procs.items():
        print(f"{name}: llama_cpp from {proc.info.get('module', '?')}")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
