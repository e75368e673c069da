"""Package layout that pyproject.toml cannot express on its own.

* The Alembic environment lives in the top-level ``migrations/`` folder of the repository
  (where operators and Alembic's docs expect it) and is installed as ``router.migrations``, so
  a plain ``pip install`` ships it and ``deskroute db upgrade`` works from any directory.
* Every file inside a package's non-package folders (``router/data/``, static assets,
  manifests) ships with that package: data added later cannot be forgotten by a pattern list.
  ``tests/unit/core/test_packaging.py`` builds the wheel and checks it.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
PACKAGE_DIRS = {"router.migrations": "migrations"}


def _folder(package: str) -> Path:
    for name, folder in PACKAGE_DIRS.items():
        if package == name or package.startswith(name + "."):
            return ROOT / folder / package[len(name):].lstrip(".").replace(".", "/")
    return ROOT / package.replace(".", "/")


def _data_files(package: str) -> list[str]:
    """Non-Python files of the package itself and of its sub-folders that are not packages."""
    base = _folder(package)
    found: list[str] = []
    stack = [base]
    while stack:
        folder = stack.pop()
        for path in sorted(folder.iterdir()):
            if path.name == "__pycache__" or path.name.startswith("."):
                continue
            if path.is_dir():
                if not (path / "__init__.py").exists():
                    stack.append(path)
            elif path.suffix not in {".py", ".pyc"} or folder != base:
                found.append(str(path.relative_to(base)))
    return found


packages = [*find_packages(include=["router*", "connectors*", "policies*"]),
            "router.migrations", "router.migrations.versions"]
setup(
    packages=packages,
    package_dir=PACKAGE_DIRS,
    package_data={p: _data_files(p) for p in packages},
)
