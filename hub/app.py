"""The FastAPI application."""

from fastapi import Depends, FastAPI

from hub import api_docs, errors, web
from hub.alerts.endpoints import router as alerts_router
from hub.auth.endpoints import router as users_router
from hub.ckw.endpoints import router as ckw_router
from hub.config import Settings, get_settings
from hub.context import Hub
from hub.controls.endpoints import router as controls_router
from hub.delivery.endpoints import router as deliveries_router
from hub.directory.endpoints import router as units_router
from hub.headers import SecurityHeaders
from hub.limits import BodyLimits
from hub.ops import endpoints as ops
from hub.params import ids_in_range
from hub.requests.endpoints import router as requests_router
from hub.supervision.endpoints import router as supervision_router
from hub.tasks.endpoints import router as tasks_router


def create_app(settings: Settings | None = None, hub: Hub | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Linkage Hub 执行联动协作平台",
        version="0.1.0",
        description="Standard XML requests in, one task per member unit out, receipts back (docs/STANDARD.md).",
        openapi_url=None,  # api_docs.install: only when settings.api_docs
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(ids_in_range)],
    )
    app.state.hub = hub or Hub.from_settings(settings)
    app.add_middleware(BodyLimits)  # innermost: its 413s get the headers and the metrics too
    app.add_middleware(SecurityHeaders)
    errors.install(app)
    for router in (
        requests_router,
        tasks_router,
        controls_router,
        units_router,
        deliveries_router,
        alerts_router,
        supervision_router,
        users_router,
        ckw_router,
    ):
        app.include_router(router)

    web.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers. Readiness (database, schema, blob folder) is /readyz."""
        return {"status": "ok"}

    ops.install(app)
    api_docs.install(app, served=bool(settings.api_docs))

    return app


def served_app() -> FastAPI:
    """The app of one of `hub serve --workers N`'s processes, from the environment's settings."""
    from hub.ops import logs

    settings = get_settings()
    logs.configure(json_lines=settings.log_json)
    return create_app(settings)
