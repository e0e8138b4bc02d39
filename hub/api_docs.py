"""The API documentation: /openapi.json and Swagger UI at /docs, served only when settings.api_docs is on
(by default in demo mode only); off, both answer 404 in the one error shape.

Swagger UI comes from its CDN, as FastAPI serves it, one exact release whose files the browser checks
against their hashes (Subresource Integrity): /docs has a policy of its own that lets that one script and
stylesheet load, and its own inline start, pinned by hash, run; nothing else. Without a way to
that host (an offline machine) the page stays blank: /openapi.json is the same description.
"""

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from hub.errors import error_body
from hub.headers import policy

# One exact release, each file checked by the browser against its hash (npm pack swagger-ui-dist@5.36.0;
# openssl dgst -sha384 -binary FILE | base64): the CDN serves what npm holds, and nothing else runs.
SWAGGER = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.36.0"
SWAGGER_JS, SWAGGER_CSS = f"{SWAGGER}/swagger-ui-bundle.js", f"{SWAGGER}/swagger-ui.css"
INTEGRITY = {
    SWAGGER_JS: "sha384-fUpRgC19yPykTqzdrUbdAg8NTiu16NEKf9U12J+IJWCg8/1mEI8f2+PEIz60Wyd+",
    SWAGGER_CSS: "sha384-z/AtSaOHGn5MJ5auAHXUypohywlIWLBZo1jeGmhdpVIbCnFhxAH92cwdV41oyINc",
}


def install(app: FastAPI, *, served: bool) -> None:
    if not served:
        for path in ("/openapi.json", "/docs"):
            app.add_api_route(path, _not_served, include_in_schema=False)
        return

    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} · API",
            swagger_js_url=SWAGGER_JS,
            swagger_css_url=SWAGGER_CSS,
            swagger_favicon_url="data:,",  # nothing from yet another host
            oauth2_redirect_url=None,  # the API takes bearer tokens: no OAuth2 flow to come back from
        )
        body = page.body
        for url, digest in INTEGRITY.items():
            body = body.replace(
                f'"{url}"'.encode(), f'"{url}" integrity="{digest}" crossorigin="anonymous"'.encode()
            )
        page = HTMLResponse(body)
        page.headers["Content-Security-Policy"] = policy(
            "default-src 'none'",
            f"script-src {SWAGGER_JS} {_inline_hashes(page.body)}",
            f"style-src {SWAGGER_CSS}",
            "img-src 'self' data:",
            "connect-src 'self'",  # the description, and the calls tried from the page
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        )
        return page

    app.add_api_route("/openapi.json", openapi, include_in_schema=False)
    app.add_api_route("/docs", docs, include_in_schema=False)


def _inline_hashes(html: bytes) -> str:
    """The CSP sources of the inline scripts of `html`: 'sha256-...' each."""
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in re.findall(rb"<script>(.*?)</script>", html, re.S)
    )


def _not_served() -> JSONResponse:
    message = "The API documentation is not served by this hub (HUB_API_DOCS=1 serves it)."
    return JSONResponse(error_body("not_found", message), status_code=404)
