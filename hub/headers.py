"""What a browser may do with what the hub serves: the security headers of every response.

A page (text/html) may run the hub's own scripts and styles (hub/web/static) and nothing inline; anything
else the hub answers (JSON, CSV, a stored document or file, a static file) may run nothing at all. A route
that sets one of these headers itself keeps its own: the notice, the API documentation and the downloads
of stored bytes (hub/blobs.py) do.

Installed by hub/app.py on every response the application makes; the plain-text 500 that the server
itself writes when a route raises (Starlette's ServerErrorMiddleware, outside every middleware) has none.
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def policy(*directives: str) -> str:
    return "; ".join(directives)


PAGE_CSP = policy(
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-src 'self'",  # the task page frames its notice
    "form-action 'self'",
    "frame-ancestors 'self'",
    "base-uri 'none'",
)
# Nothing loads, runs or frames it; `sandbox` puts a document opened anyway on an origin of its own,
# away from the hub's cookies and pages.
NOTHING_CSP = policy(
    "default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'", "sandbox"
)
# The notice (hub/standard/notice.xsl): a complete page with its own <style> and no script, for reading,
# printing, and the task page's frame.
NOTICE_CSP = policy(
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "frame-ancestors 'self'",
    "base-uri 'none'",
    "form-action 'none'",
)

COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
PAGE_HEADERS = {"Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "SAMEORIGIN", **COMMON}
NOTHING_HEADERS = {"Content-Security-Policy": NOTHING_CSP, "X-Frame-Options": "DENY", **COMMON}


class SecurityHeaders:
    """ASGI middleware: PAGE_HEADERS on pages, NOTHING_HEADERS on everything else, each header only where
    the response has not set it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                page = headers.get("content-type", "").startswith("text/html")
                for name, value in (PAGE_HEADERS if page else NOTHING_HEADERS).items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
