"""What a browser may do with what the hub serves (issue 13): stored bytes are downloads that run nothing,
every page runs the hub's own scripts and styles only, and the API documentation and /metrics are served
only when a setting says so.

A stored document can carry active content (a ds:Object of XHTML with a script, from before the standard
refused it, or inside a valid signature): opened on the hub's origin it would act as whoever opened it.
"""

import base64
import hashlib
import re
from urllib.parse import quote

import pytest
from conftest import example, example_file, post_receipt, sign_in, submit
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from pydantic import SecretStr

from hub.app import create_app
from hub.config import Settings
from hub.context import Hub

FREEZE, RECEIPT = "request-freeze.xml", "receipt-controlled.xml"


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: [sources]}."""
    found: dict[str, list[str]] = {}
    for part in policy.split(";"):
        if part.strip():
            name, *sources = part.split()
            found[name.lower()] = sources
    return found


def runs_nothing(policy: str) -> bool:
    """Whether a CSP lets nothing load or run in what it covers, in a sandbox of its own."""
    found = directives(policy)
    return found.get("default-src") == ["'none'"] and "sandbox" in found and "script-src" not in found


def download_routes(app) -> list[str]:
    """The path of every GET route serving a stored document or file: .../document and .../files/{filename}."""
    return sorted(
        route.path_format
        for route in iter_route_contexts(app.routes)
        if "GET" in (route.methods or ())
        and (route.path_format.endswith("/document") or route.path_format.endswith("/files/{filename}"))
    )


@pytest.fixture
def exchange(client, token):
    """The freeze with its notice and ruling, answered by the housing fund with its signed receipt scan."""
    freeze = submit(client, token("officer"), FREEZE)
    answer = post_receipt(client, token("staff-housing-fund"), freeze, example(RECEIPT))
    [task] = freeze["tasks"]
    return {
        "request_id": str(freeze["id"]),
        "task_id": str(task["id"]),
        "receipt_id": str(answer["receipt_id"]),
        "request_no": freeze["request_no"],
        "receipt_no": answer["receipt_no"],
    }


def test_every_stored_document_and_file_is_a_download_that_runs_nothing(visitor, token, exchange):
    client = visitor
    routes = download_routes(client.app)
    assert len(routes) >= 12, routes  # the API's 4, the officer's pages' 4, the unit's pages' 4
    admin = token("admin")
    sign_in(client, "admin")  # the pages' session; the API calls carry the bearer token
    for path in routes:
        receipt = "{receipt_id}" in path
        filename = "receipt.pdf" if receipt else "ruling.pdf"
        params = exchange | {"filename": filename}
        unknown = set(re.findall(r"\{(\w+)\}", path)) - params.keys()
        assert not unknown, f"{path}: the test cannot fill {unknown}: give it an object to ask for"
        url = path.format(**params)
        response = client.get(url, headers=admin if path.startswith("/api/") else {})
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:200]}"

        if path.endswith("/document"):
            stored = example(RECEIPT if receipt else FREEZE)
            name = f"{exchange['receipt_no' if receipt else 'request_no']}.xml"
        else:
            stored, name = example_file(filename), filename
            assert response.headers["content-type"] == "application/octet-stream", url
        assert response.content == stored, f"{url}: not the bytes as stored"
        assert response.headers["x-content-sha256"] == hashlib.sha256(stored).hexdigest(), url
        disposition = response.headers.get("content-disposition", "")
        assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(name)}" in disposition, (
            f"{url}: {disposition!r}"
        )
        assert response.headers.get("x-content-type-options") == "nosniff", url
        assert runs_nothing(response.headers.get("content-security-policy", "")), (
            f"{url}: {response.headers.get('content-security-policy')!r}"
        )


def page_headers_problems(url: str, response) -> list[str]:
    policy = response.headers.get("content-security-policy", "")
    found = directives(policy)
    problems = []
    if found.get("default-src") != ["'none'"]:
        problems.append("default-src is not 'none'")
    if found.get("script-src") != ["'self'"]:
        problems.append(f"script-src is {found.get('script-src')}, not only 'self'")
    if "'unsafe-inline'" in policy or "'unsafe-eval'" in policy or "*" in policy.split():
        problems.append("the policy allows inline code, eval or any host")
    if not found.get("frame-ancestors") or "*" in found["frame-ancestors"]:
        problems.append("no frame-ancestors")
    if response.headers.get("x-frame-options") not in ("SAMEORIGIN", "DENY"):
        problems.append(f"X-Frame-Options {response.headers.get('x-frame-options')!r}")
    if response.headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("referrer-policy") not in ("same-origin", "no-referrer"):
        problems.append(f"Referrer-Policy {response.headers.get('referrer-policy')!r}")
    return [f"{url}: {p} ({policy!r})" for p in problems]


def inline_code(url: str, page: str) -> list[str]:
    """What in a page the page CSP refuses: style attributes and elements, inline scripts, handlers,
    javascript: links."""
    found = []
    for element in lxml_html.fromstring(page).iter():
        if not isinstance(element.tag, str):
            continue
        where = f"{url}: <{element.tag}> line {element.sourceline}"
        if element.tag == "style" or element.get("style") is not None:
            found.append(f"{where}: an inline style")
        if element.tag == "script" and not element.get("src"):
            found.append(f"{where}: an inline script")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{where}: a handler {name}")
            if value.strip().lower().startswith("javascript:"):
                found.append(f"{where}: a javascript: URL")
    return found


def test_every_page_carries_the_page_policy_and_needs_nothing_it_refuses(visitor, exchange):
    client = visitor
    request, task = exchange["request_id"], exchange["task_id"]
    visits = {
        None: ["/login", "/no/such/page"],  # the error page, as everyone gets it
        "officer": ["/requests", "/requests/new", "/requests/batch", f"/requests/{request}", "/controls"],
        "staff-housing-fund": ["/inbox", f"/tasks/{task}"],
        "supervisor": ["/supervision", "/requests/999999"],
        "admin": ["/admin", "/admin/users", "/admin/units", "/admin/deliveries", "/admin/calendar"],
    }
    problems, seen = [], 0
    for username, urls in visits.items():
        client.cookies.clear()
        if username:
            sign_in(client, username)
        for url in urls:
            response = client.get(url)
            assert response.headers["content-type"].startswith("text/html"), url
            assert response.status_code == (404 if url in ("/no/such/page", "/requests/999999") else 200), url
            problems += page_headers_problems(url, response) + inline_code(url, response.text)
            seen += 1
    assert not problems, "\n".join(problems)
    assert seen == 16


def test_the_notice_pages_run_no_script_and_only_the_task_page_frames_them(visitor, exchange):
    client = visitor
    sign_in(client, "staff-housing-fund")
    framed = client.get(f"/tasks/{exchange['task_id']}/notice")
    sign_in(client, "officer")
    alone = client.get(f"/requests/{exchange['request_id']}/notice")
    for response in (framed, alone):
        assert response.status_code == 200 and "协助执行通知书" in response.text
        found = directives(response.headers.get("content-security-policy", ""))
        assert found.get("default-src") == ["'none'"] and "script-src" not in found, found
        assert found.get("frame-ancestors") == ["'self'"], found
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_api_answers_run_nothing_and_cannot_be_framed(client, token):
    response = client.get("/api/v1/units", headers=token("officer"))
    assert response.status_code == 200
    assert runs_nothing(response.headers.get("content-security-policy", ""))
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("x-frame-options") == "DENY"


# --- the API documentation and /metrics ------------------------------------------------------------


@pytest.fixture
def serve(database_url, tmp_path):
    """serve(**settings) -> a client of an app with those settings (production unless demo=True)."""
    hubs = []

    def serve(**changes) -> TestClient:
        settings = Settings(database_url=database_url, data_dir=tmp_path / "data", **changes)
        hubs.append(Hub.from_settings(settings))
        return TestClient(create_app(settings, hubs[-1]))

    yield serve
    for hub in hubs:
        hub.engine.dispose()


CLOSED = ("/docs", "/openapi.json", "/metrics")
GONE = ("/redoc", "/docs/oauth2-redirect")  # ReDoc, and Swagger UI's OAuth2 return: in no mode


def assert_not_found(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, f"{path}: {response.status_code}"
    body = response.json()
    assert body["error"]["code"] == "not_found" and body["error"]["message"], f"{path}: {body}"


def test_the_api_documentation_and_metrics_are_not_found_in_production(serve):
    client = serve()
    for path in CLOSED:
        assert_not_found(client, path)
    for path in GONE:
        assert client.get(path).status_code == 404, path
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


def test_the_api_documentation_is_served_when_turned_on_or_in_demo_mode(serve):
    for client in (serve(api_docs=True), serve(demo=True)):
        schema = client.get("/openapi.json")
        assert schema.status_code == 200 and "/api/v1/requests" in schema.json()["paths"]
        docs = client.get("/docs")
        assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text and "/openapi.json" in docs.text
        policy = directives(docs.headers["content-security-policy"])
        assert policy["default-src"] == ["'none'"] and policy["connect-src"] == ["'self'"]
        # the one script it loads, and its own inline start pinned by hash: nothing else runs
        bundle = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.36.0/swagger-ui-bundle.js"
        assert [s for s in policy["script-src"] if not s.startswith("'sha256-")] == [bundle]
        # one exact release, which the browser checks against its hash before running it
        assert re.search(f'src="{re.escape(bundle)}" integrity="sha384-[A-Za-z0-9+/=]{{64}}"', docs.text)
        inline = re.findall(r"<script>(.*?)</script>", docs.text, re.S)
        assert len(inline) == 1
        pinned = hashlib.sha256(inline[0].encode()).digest()
        assert f"'sha256-{base64.b64encode(pinned).decode()}'" in policy["script-src"]
        assert_not_found(client, "/metrics")  # its own setting
        for path in GONE:
            assert client.get(path).status_code == 404, path


def test_metrics_are_served_when_turned_on_or_to_the_token(serve):
    opened = serve(metrics_open=True).get("/metrics")
    assert opened.status_code == 200 and "hub_figures_up" in opened.text
    guarded = serve(metrics_token=SecretStr("scrape-me"))
    assert guarded.get("/metrics").status_code == 401
    scraped = guarded.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert scraped.status_code == 200 and "hub_figures_up" in scraped.text
    assert_not_found(guarded, "/docs")
