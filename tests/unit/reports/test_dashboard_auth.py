"""Who may see the dashboard: the admin token as Bearer, or the session cookie from the form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from router.api.app import create_app
from router.api.session_auth import new_session, safe_next, valid_session

TOKEN = "dash-auth-token-0123456789"
PAGES = ("/dashboard", "/dashboard/tickets", "/dashboard/kb")


@pytest.fixture
def client(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DESKROUTE_ADMIN_TOKEN", TOKEN)
    with TestClient(create_app(database_url=sqlite_url, embedded_worker=False)) as c:
        yield c


def test_without_the_token_browsers_go_to_the_login_form_and_tools_get_401(
        client: TestClient) -> None:
    for path in PAGES:
        page = client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"hx-request": "true", "accept": "text/html"}
                          ).status_code == 401  # an htmx fragment cannot follow a redirect
        assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
        ok = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and "Content-Security-Policy" in ok.headers


def test_login_sets_an_httponly_cookie_and_refuses_wrong_tokens_and_other_sites(
        client: TestClient) -> None:
    same = {"origin": "http://testserver"}
    wrong = client.post("/login", data={"token": "nope"}, headers=same)
    assert wrong.status_code == 401 and "deskroute_session" not in wrong.headers.get(
        "set-cookie", "")
    forged = client.post("/login", data={"token": TOKEN},
                         headers={"origin": "https://evil.example"}, follow_redirects=False)
    assert forged.status_code == 403
    ok = client.post("/login", data={"token": TOKEN, "next": "https://evil.example/"},
                     headers=same, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/dashboard"  # no open redirect
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/dashboard").status_code == 200  # the cookie is enough
    client.post("/logout", headers=same)
    assert client.get("/dashboard").status_code == 401


def test_session_values_expire_and_are_bound_to_the_token() -> None:
    value = new_session(TOKEN, now=1000.0)
    assert valid_session(TOKEN, value, now=2000.0)
    assert not valid_session(TOKEN, value, now=1000.0 + 13 * 3600)  # expired
    assert not valid_session("another-token-0123456789", value, now=2000.0)
    assert not valid_session(TOKEN, value.replace(".", ".0"), now=2000.0)
    assert safe_next("/dashboard/tickets?q=1") == "/dashboard/tickets?q=1"
    assert safe_next("//evil.example") == "/dashboard" and safe_next("/docs") == "/dashboard"
