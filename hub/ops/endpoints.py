"""/readyz and /metrics. Like /healthz they need no sign-in. /metrics asks for HUB_METRICS_TOKEN when set;
without one it is served only with HUB_METRICS_OPEN=1, and is else 404."""

import hmac

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from hub.deps import HubDep
from hub.errors import error_body
from hub.ops.metrics import Instrument, Metrics
from hub.ops.readiness import check

router = APIRouter(tags=["health"])
# the text format every Prometheus reads (the hub's names need none of format 1.0.0's escaping)
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/readyz", responses={503: {"description": "Not ready: `failed` names the checks"}})
def readyz(hub: HubDep) -> JSONResponse:
    """200 when the database answers, its schema is at the migrations' head and the blob folder is
    writable; else 503. Each check says "ok" or what is wrong."""
    readiness = check(hub)
    return JSONResponse(readiness.as_dict(), status_code=200 if readiness.ready else 503)


@router.get("/metrics", response_class=Response)
def metrics(request: Request, hub: HubDep) -> Response:
    """The Prometheus text format: this process's HTTP figures and the hub's figures from the database."""
    expected = hub.settings.metrics_token.get_secret_value()
    if not expected and not hub.settings.metrics_open:
        message = "/metrics is not served: set HUB_METRICS_TOKEN and scrape with it, or HUB_METRICS_OPEN=1."
        return JSONResponse(error_body("not_found", message), status_code=404)
    if expected:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            body = error_body(
                "unauthorized", "Send Authorization: Bearer <HUB_METRICS_TOKEN> to read /metrics."
            )
            return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return Response(request.app.state.metrics.render(), media_type=TEXT_FORMAT)


def install(app: FastAPI) -> None:
    """Add /readyz and /metrics, and time every HTTP request (the app's hub must be set)."""
    app.state.metrics = Metrics(app.state.hub)
    app.add_middleware(Instrument, metrics=app.state.metrics)
    app.include_router(router)
