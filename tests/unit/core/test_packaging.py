"""A plain `pip install .` ships everything the code reads at run time.

Builds the wheel from a copy of this checkout (no network: --no-build-isolation), checks that
every file git tracks in the packages — data, migrations, templates, static assets — is inside
it, then installs the wheel alone into an empty folder and runs the CLI from outside the
checkout: `--version`, `db upgrade` and `route` work with only the wheel's code, policies,
migrations and shipped classifier (the third-party dependencies come from this interpreter).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.integration


def _tracked() -> list[str]:
    return subprocess.run(
        ["git", "ls-files", "router", "connectors", "policies", "migrations"],
        cwd=REPO, capture_output=True, text=True, check=True).stdout.split()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy, so the build leaves nothing in the checkout
    for rel in [*_tracked(), "pyproject.toml", "setup.py", "README.md"]:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, src / rel)
    out = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(src)], check=True,
                   capture_output=True)
    (built,) = out.glob("deskroute-*.whl")
    return built


def test_wheel_contains_every_tracked_package_file(wheel: Path) -> None:
    tracked = _tracked()
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"router/migrations/{rel[len('migrations/'):]}" if rel.startswith("migrations/")
                else rel for rel in tracked}
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel: {missing[:10]}"
    assert "router/data/classifier/head.npz" in names


def test_installed_wheel_alone_runs_version_db_upgrade_and_route(
        wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(site), str(wheel)], check=True, capture_output=True)
    work = tmp_path / "cwd"  # outside the checkout, empty: nothing relative to the repo resolves
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKROUTE_")}
    env.update(PYTHONPATH=str(site), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")

    def run(*args: str) -> str:
        proc = subprocess.run([sys.executable, *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{args}: {proc.stdout}{proc.stderr}"
        return proc.stdout

    where = run("-c", "import router, policies, connectors; "
                      "print(router.__file__, policies.__file__, connectors.__file__)").split()
    assert all(Path(f).resolve().is_relative_to(site.resolve()) for f in where), where
    assert run("-m", "router.cli.main", "--version").strip().endswith("0.1.0")
    db = tmp_path / "x.db"
    run("-m", "router.cli.main", "db", "upgrade", "--database-url", f"sqlite:///{db}")
    current = run("-m", "router.cli.main", "db", "current",
                  "--database-url", f"sqlite:///{db}")
    heads = sorted(p.stem for p in (REPO / "migrations" / "versions").glob("[0-9]*.py"))
    assert heads[-1] in current
    decision = json.loads(run("-m", "router.cli.main", "route", "where is my order?", "--json"))
    assert decision["route"] == "slm" and decision["intent"] == "order_status"
    assert decision["policy"]["name"] == "default"
    assert list(work.iterdir()) == []  # nothing written next to the user by `route`
