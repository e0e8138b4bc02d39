"""Ids, days and page numbers from outside: every route answers a 4xx in the one error shape, never a 500.

Walks the application's own routes (a new route is tried the day it is added), fills every id of its path
with numbers past a row id (2**31 on PostgreSQL, up to 40 digits), its day parameters with days no calendar holds, and its other query
parameters with odd values, and calls it as each kind of signed-in person. Before, 38 of these answered a
plain-text 500: the database driver failed on 2**64, the clock on 0001-01-01, a page number on 2**64.
"""

import typing
from datetime import date

import pytest
from conftest import post_login, sign_in
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from hub.app import create_app

pytestmark = pytest.mark.db

HUGE = (str(2**31), str(2**63), str(2**64), "9" * 40)
ODD_TEXT = ("0001-01", "9999-12", "2026-13", str(2**64), "-1", "²", "x" * 2000, "\x00", "%")
ODD_DAYS = ("0001-01-01", "9999-12-31")
ODD_NUMBERS = (str(2**64), "-1", "²")


def _parameters(route) -> tuple[list, list]:
    """The path and query parameters of a route and of all its dependencies."""
    paths, queries, todo = [], [], [route.dependant]
    while todo:
        dependant = todo.pop()
        paths += dependant.path_params
        queries += dependant.query_params
        todo += dependant.dependencies
    return paths, queries


def _kind(field) -> str:
    annotation = field.field_info.annotation
    args = {a for a in typing.get_args(annotation) if a is not type(None)} or {annotation}
    if date in args:
        return "day"
    if int in args:
        return "number"
    return "text"


def _calls(app) -> list[tuple[str, str, dict[str, str]]]:
    """(method, url, query) for each route with a path id or a query parameter, each odd value in turn."""
    calls = []
    for route in iter_route_contexts(app.routes):
        if getattr(route, "dependant", None) is None:
            continue
        paths, queries = _parameters(route)
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            for huge in HUGE:
                url = route.path_format
                for field in paths:
                    url = url.replace("{" + field.name + "}", huge if _kind(field) == "number" else "x")
                if url != route.path_format:
                    calls.append((method, url, {}))
            if method != "GET" or not queries:
                continue
            plain = route.path_format
            for field in paths:
                plain = plain.replace("{" + field.name + "}", "1" if _kind(field) == "number" else "x")
            odd = {"day": ODD_DAYS, "number": ODD_NUMBERS, "text": ODD_TEXT}
            for turn in range(max(len(values) for values in odd.values())):
                query = {}
                for field in queries:
                    values = odd[_kind(field)]
                    query[field.alias] = values[turn % len(values)]
                calls.append((method, plain, query))
    return calls


@pytest.mark.parametrize("username", ["admin", "officer", "supervisor", "staff-housing-fund"])
def test_odd_ids_days_and_pages_get_a_4xx_in_the_one_shape(hub, token, username):
    """API calls with the person's token, pages with their session: a 4xx (or an answer), never a 5xx."""
    with TestClient(create_app(hub.settings, hub), raise_server_exceptions=False) as client:
        client.follow_redirects = False
        csrf = sign_in(client, username)
        failures = _failures(client, csrf, token(username))
    assert not failures, f"{len(failures)} calls failed:\n" + "\n".join(failures[:40])


def _failures(client: TestClient, csrf: str, bearer: dict[str, str]) -> list[str]:
    failures = []
    for method, url, query in _calls(client.app):
        api = url.startswith("/api/")
        response = client.request(
            method,
            url,
            params=query,
            headers=bearer if api else {},
            data=None if api or method == "GET" else {"csrf": csrf},
        )
        if response.status_code >= 500 or not _in_the_one_shape(response, api):
            failures.append(f"{response.status_code} {method} {url} {query} {response.text[:80]!r}")
    return failures


def _in_the_one_shape(response, api: bool) -> bool:
    if not api or response.status_code < 400:
        return True
    try:
        return list(response.json()) == ["error"]
    except ValueError:  # not JSON: a plain-text error
        return False


def test_a_row_id_past_the_columns_range_is_not_found_like_any_other(client, token):
    officer = token("officer")
    for url in ("/api/v1/tasks/{}", "/api/v1/requests/{}", "/api/v1/receipts/{}/document"):
        huge, none = (
            client.get(url.format(2**31), headers=officer),
            client.get(url.format(2**30), headers=officer),
        )
        assert (huge.status_code, none.status_code) == (404, 404), (url, huge.text, none.text)
        assert huge.json()["error"]["code"] == none.json()["error"]["code"] == "not_found"


def test_a_nul_character_is_refused_in_the_one_shape(client, token):
    """PostgreSQL can store or compare no U+0000 in a text (its driver raised: a 500): refused on both
    databases alike, in a search and in a sign-in name."""
    query = client.get("/api/v1/requests", params={"case_no": "（2026）\x00"}, headers=token("officer"))

    assert query.status_code == 422, query.text
    assert query.json()["error"]["code"] == "invalid_parameters"
    assert "U+0000" in query.json()["error"]["message"]
    signed = post_login(client, "adm\x00in", "wrong")
    assert signed.status_code == 422 and "空字符" in signed.text
