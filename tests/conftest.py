"""Shared fixtures: stores on real SQLite and PostgreSQL, Redis, loopback HTTP servers.

Service-backed tests skip with a message naming the service on a laptop without it, and
fail under CI=true, where the services must be there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
PG_ADMIN_URL = os.environ.get("DESKROUTE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("DESKROUTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing_service(what: str) -> None:
    """Fail in CI (the service must be there), skip elsewhere with the service's name."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but not reachable")
    pytest.skip(f"{what} not reachable; start it to run this test")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    from router.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'deskroute.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def sqlite_url_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated SQLite store shared by a module's tests (they must not assume it empty)."""
    from router.store.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'deskroute.db'}"
    upgrade(url)
    return url


@contextmanager
def _pg_database() -> Iterator[str]:
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not there"
        missing_service(f"PostgreSQL at {PG_ADMIN_URL} ({exc.__class__.__name__})")
        raise
    name = f"deskroute_t_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    from router.store.migrate import upgrade

    upgrade(url)
    try:
        yield url
    finally:
        from router.store.db import _engine_for, normalise_url

        try:
            _engine_for(normalise_url(url)).dispose()
        except Exception:  # noqa: BLE001
            pass
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database with the migrations applied, dropped afterwards."""
    with _pg_database() as url:
        yield url


@pytest.fixture(scope="module")
def pg_url_module() -> Iterator[str]:
    """One migrated PostgreSQL database shared by a module's tests (not assumed empty)."""
    with _pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """The same test on a migrated SQLite file and a migrated PostgreSQL database."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """An emptied Redis database of this test's own (tests/redis_db.py), or
    DESKROUTE_TEST_REDIS_URL as is where that is set."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        missing_service(f"Redis at {REDIS_URL} ({exc.__class__.__name__})")
    from tests.redis_db import claimed_db

    with claimed_db(REDIS_URL, fixed=os.environ.get("DESKROUTE_TEST_REDIS_URL")) as url:
        yield url


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """A real OpenAI-compatible server (llama_cpp.server) with the bundled GGUF on loopback.

    Started through router.backends.llama_server, which loads the model the AMX-safe way
    (plain ``python -m llama_cpp.server`` segfaults at the first generation on AMX CPUs).
    """
    import subprocess
    import sys
    import time

    import httpx

    from router.settings import bundled_slm_path
    from tests.helpers_http import free_port, stop_process

    try:
        import llama_cpp.server  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"llama-cpp-python[server] not installed: {exc}")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "router.backends.llama_server", "--model", str(bundled_slm_path()),
         "--host", "127.0.0.1", "--port", str(port), "--model_alias", "smol",
         "--n_ctx", "2048", "--n_threads", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail("llama_cpp.server exited during start-up")
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not start within 90 s")
        yield base
    finally:
        stop_process(proc)


@pytest.fixture(autouse=True)
def _fresh_breakers() -> Iterator[None]:
    """Model circuit breakers are per process: one test's failing LLM must not open the
    breaker for the next test."""
    from router.breakers import reset_breakers

    reset_breakers()
    yield
    reset_breakers()
