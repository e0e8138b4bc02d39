"""补录控制措施: an officer (for his court) or an administrator (for the court he chooses) imports controls made
before the hub from a CSV file (hub/controls/imports.py), in two steps.

1. The file is uploaded (POST /controls/import, the size limited while it is read) and checked: every
   problem is listed by row and column, in Chinese; or, when there is none, the page shows what will be
   imported and what is in the hub already, and keeps the file (a blob of the court) for the next step.
2. The officer confirms (POST /controls/import/confirm, naming the kept file by its sha256): the file is
   checked again, as the hub stands now, and imported; the page lists the controls made and those skipped.
Both forms carry the session's CSRF token. The template (GET /controls/import/template.csv) holds the
Chinese headers only.
"""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hub.auth.service import Principal
from hub.blobs import own, owned
from hub.clock import now
from hub.context import Hub
from hub.controls.import_file import COLUMNS, MAX_IMPORT_BYTES, MAX_ROWS, ImportProblem, template
from hub.controls.imports import ImportPlan, check_import, import_controls
from hub.deps import HubDep, SessionDep
from hub.errors import Forbidden, Invalid
from hub.limits import SMALL_BODY_BYTES, FormLimits, size_text
from hub.models import Court, User
from hub.web.deps import FormDep, WebUserDep, in_chinese, read_checked_form
from hub.web.officer_access import read_part
from hub.web.officer_messages import in_chinese as said_in_chinese
from hub.web.session import SignedIn
from hub.web.templating import page

router = APIRouter(include_in_schema=False)
SHA256_LENGTH = 64
TEMPLATE_NAME = quote("补录控制措施模板.csv")
CHOICES = {  # an administrator's choice of court and officer, refused by the service
    "no_such_court": "所选法院不在名录中，请重新选择。",
    "not_an_officer": "所选承办法官不是该法院在职的执行法官，请重新选择。",
}


def _importer(user: SignedIn) -> Principal:
    principal = user.principal
    if principal.role == "admin" or (principal.role == "officer" and principal.court_code):
        return principal
    raise Forbidden("补录控制措施仅供执行法官和系统管理员使用。")


async def _upload_form(request: Request, user: WebUserDep) -> FormData:
    """The upload form: one file of at most MAX_IMPORT_BYTES, refused (413) as soon as it passes them."""
    limits = FormLimits(file_bytes=MAX_IMPORT_BYTES, field_bytes=SMALL_BODY_BYTES, max_files=1, max_fields=20)
    return await read_checked_form(request, user, limits, part="CSV 文件")


UploadFormDep = Annotated[FormData, Depends(_upload_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _choices(session: Session, principal: Principal) -> tuple[list[Court], list[User]]:
    """The courts and officers an administrator chooses from (an officer chooses neither)."""
    if principal.role != "admin":
        return [], []
    courts = list(session.execute(select(Court).order_by(Court.code)).scalars())
    officers = session.execute(
        select(User)
        .where(User.role == "officer", User.active.is_(True))
        .order_by(User.court_code, User.username)
    ).scalars()
    return courts, list(officers)


def _target(principal: Principal, form: FormData) -> tuple[str, str | None]:
    """(court, default officer's username): an officer's own court and himself; the administrator's choice."""
    if principal.role != "admin":
        assert principal.court_code is not None
        return principal.court_code, None
    court, officer = _text(form, "court"), _text(form, "officer")
    if not court or not officer:
        raise Invalid("请选择法院和承办法官：补录的措施到期时提醒承办法官。")
    return court, officer


def _import_page(
    request: Request, session: Session, principal: Principal, status_code: int = 200, **context
) -> Response:
    courts, officers = _choices(session, principal)
    return page(
        request,
        "controls/import.html",
        status_code=status_code,
        columns=COLUMNS,
        max_rows=MAX_ROWS,
        max_size=size_text(MAX_IMPORT_BYTES),
        courts=courts,
        officers=officers,
        **context,
    )


def _shown(problems: list[ImportProblem]) -> list[dict[str, object]]:
    """The problems as the page lists them: in Chinese, the hub's English wordings said again where known."""
    return [
        {"row": p.row, "column": p.column, "text": p.chinese or said_in_chinese(p.message)} for p in problems
    ]


def _checked(
    request: Request, session: Session, hub: Hub, principal: Principal, *, data: bytes, filename: str, form
) -> tuple[ImportPlan | None, Response | None]:
    """The file checked for the court chosen: the plan, or the page listing its problems (422)."""
    court, officer = _target(principal, form)
    with in_chinese(CHOICES):
        plan = check_import(
            session,
            data=data,
            filename=filename,
            court_code=court,
            importer=principal,
            officer=officer,
            settings=hub.settings,
            at=now(),
        )
    if plan.problems:
        chosen = {"court": court, "officer": officer or ""}
        page_ = _import_page(
            request, session, principal, 422, problems=_shown(plan.problems), filename=filename, chosen=chosen
        )
        return None, page_
    return plan, None


@router.get("/controls/import", response_class=HTMLResponse)
def import_form(request: Request, user: WebUserDep, session: SessionDep) -> Response:
    return _import_page(request, session, _importer(user), chosen={})


@router.get("/controls/import/template.csv")
def import_template(user: WebUserDep) -> Response:
    _importer(user)
    return Response(
        template(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f"attachment; filename=\"import-controls.csv\"; filename*=UTF-8''{TEMPLATE_NAME}"
        },
    )


@router.post("/controls/import", response_class=HTMLResponse)
def import_check(
    request: Request, user: WebUserDep, session: SessionDep, hub: HubDep, form: UploadFormDep
) -> Response:
    """Check the uploaded file; without problems, keep it for the confirmation and show what it imports."""
    principal = _importer(user)
    upload = form.get("file")
    data = read_part(upload, MAX_IMPORT_BYTES)
    if data is None:
        raise Invalid("请选择要导入的 CSV 文件。")
    filename = (getattr(upload, "filename", "") or "import.csv")[:200]
    plan, refused = _checked(request, session, hub, principal, data=data, filename=filename, form=form)
    if refused is not None:
        return refused
    assert plan is not None
    hub.blobs.put(session, data)  # the file the confirmation names
    own(session, owner=("court", plan.court.code), digests=[plan.sha256])
    return _import_page(request, session, principal, plan=plan, chosen=_chosen(plan))


def _chosen(plan: ImportPlan) -> dict[str, str]:
    return {"court": plan.court.code, "officer": plan.officer.username}


@router.post("/controls/import/confirm", response_class=HTMLResponse)
def import_confirm(
    request: Request, user: WebUserDep, session: SessionDep, hub: HubDep, form: FormDep
) -> Response:
    """Import the file checked before, checking it again as the hub stands now."""
    principal = _importer(user)
    court, _ = _target(principal, form)
    digest = _text(form, "sha256").lower()
    if len(digest) != SHA256_LENGTH or not owned(session, owner=("court", court), digests=[digest]):
        raise Invalid("找不到已检查的文件，请重新上传。")
    data = hub.blobs.read(digest)
    filename = _text(form, "filename")[:200] or "import.csv"
    plan, refused = _checked(request, session, hub, principal, data=data, filename=filename, form=form)
    if refused is not None:
        return refused
    assert plan is not None
    result = import_controls(session, plan=plan, data=data, blobs=hub.blobs, actor=principal.actor, at=now())
    made = list(zip(plan.new, result.controls, strict=True))
    return _import_page(
        request, session, principal, plan=plan, result=result, made=made, chosen=_chosen(plan)
    )
