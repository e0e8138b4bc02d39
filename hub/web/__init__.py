"""The web pages: for officers, unit staff, supervisors and administrators, in Chinese, served by the hub."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hub.web import admin, admin_cards, control_imports, control_pages, officer, supervision_pages, unit
from hub.web.deps import SignInNeeded
from hub.web.pages import error_page, router, sign_in_needed

STATIC = Path(__file__).with_name("static")


def install(app: FastAPI) -> None:
    """Mount the pages, their static files (nothing from another host), and errors shown as pages."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for pages in (
        router,
        officer.router,
        control_imports.router,  # before control_pages: /controls/import is no control's id
        control_pages.router,
        unit.router,
        supervision_pages.router,
        admin.router,
        admin_cards.router,
    ):
        app.include_router(pages)
    app.add_exception_handler(SignInNeeded, sign_in_needed)  # type: ignore[arg-type]
    app.state.error_page = error_page
