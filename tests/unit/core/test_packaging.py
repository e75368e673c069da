"""A plain `pip install .` ships everything the code reads at run time.

Builds the wheel from a copy of this checkout (no network: --no-build-isolation) and checks
that every file git tracks in the packages — data, migrations, templates, static assets — is
inside it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.integration


def test_wheel_contains_every_tracked_package_file(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "router", "connectors", "policies", "migrations"],
        cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout
    for rel in [*tracked, "pyproject.toml", "setup.py", "README.md"]:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, src / rel)
    out = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(src)], check=True,
                   capture_output=True)
    (wheel,) = out.glob("deskroute-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"router/migrations/{rel[len('migrations/'):]}" if rel.startswith("migrations/")
                else rel for rel in tracked}
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel: {missing[:10]}"
    assert "router/data/classifier/head.npz" in names
