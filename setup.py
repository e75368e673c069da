"""Package layout that pyproject.toml cannot express on its own.

The Alembic environment lives in the top-level ``migrations/`` folder of the repository (where
operators and Alembic's docs expect it) and is installed as ``router.migrations``, so a plain
``pip install`` ships it and ``deskroute db upgrade`` works from any directory.
"""

from setuptools import find_packages, setup

packages = find_packages(include=["router*", "connectors*", "policies*"])
setup(
    packages=[*packages, "router.migrations", "router.migrations.versions"],
    package_dir={"router.migrations": "migrations"},
)
