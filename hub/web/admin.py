"""The administrator's pages: units and channels, users and tokens, the calendar, deliveries, alerts.

Every page and form is for administrators only (others get a 403 page). The pages show what the services
give and post to them; an error a service raises in English is said again in Chinese here (MESSAGES).
"""

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hub.alerts.jobs import JOBS
from hub.alerts.service import list_alerts
from hub.auth.lockout import locks
from hub.auth.service import (
    accounts,
    grant_token,
    is_unit_system,
    reactivate_user,
    revoke_token,
    unlock_source,
    unlock_user,
)
from hub.calendar.importer import NoticeError, import_year, load_notice
from hub.calendar.service import load_calendar, show_year
from hub.clock import SHANGHAI, now, today_shanghai
from hub.context import Hub
from hub.delivery.service import list_deliveries, serve_again, visible_delivery
from hub.deps import HubDep, SessionDep
from hub.errors import Forbidden, Invalid
from hub.models import Court, Unit
from hub.params import page_number
from hub.standard.labels import CHANNEL_NAMES, DELIVERY_STATES
from hub.standard.signatures import fingerprint, load_certificate
from hub.web.deps import FormDep, WebUserDep, in_chinese
from hub.web.session import SignedIn
from hub.web.templating import page

router = APIRouter(prefix="/admin", include_in_schema=False)

MESSAGES = {  # service error code -> what the administrator reads
    "user_inactive": "该账号已停用，不能签发令牌。",
    "system_account": "这是联动单位系统的内部账号，不能签发令牌。",
    "token_revoked": "该令牌已被撤销。",
    "not_locked": "该账号当前未被锁定，无需解锁。",
    "source_not_locked": "该地址当前未被锁定，无需解锁。",
    "user_active": "该账号已是启用状态。",
    "unit_inactive": "该账号所属单位已不在单位名录中（已停用），请先恢复单位。",
    "delivery_pending": "该任务已有等待或正在进行的送达，请稍后刷新查看结果。",
    "task_closed": "该任务已办结或已撤回，无需再次送达。",
    "channel_gone": "该单位已没有这一送达渠道：请对其现有渠道的送达记录点击“重新送达”。",
    "not_found": "没有找到该记录，可能已被删除。",
}
DONE = {  # ?done= after a form, a fixed notice (never text from the address)
    "revoked": "令牌已撤销，使用该令牌的调用将被拒绝。",
    "unlocked": "已解除锁定，现在可以重新登录。",
    "reactivated": "账号已重新启用。此前撤销的接口令牌仍然无效，如需请重新签发。",
    "again": "已重新排入送达队列，送达结果稍后显示在下方。",
}
CATEGORIES = {
    "property": "不动产",
    "vehicles": "车辆",
    "funds": "资金",
    "insurance": "保险",
    "civil": "民政",
    "market": "市场监管",
    "tax": "税务",
    "police": "公安",
    "social-security": "社会保障",
    "township": "乡镇街道",
    "oversight": "监督机关",
    "other": "其他",
}
ATTEMPT_OUTCOMES = {"served": "成功", "retry": "稍后重试", "refused": "被拒绝", "misconfigured": "配置错误"}
ALERT_KINDS = {
    "due_soon": "即将到期",
    "overdue": "逾期",
    "escalation": "督办",
    "objection": "异议",
    "objection_overdue": "异议答复逾期",
    "control_ending": "控制措施即将到期",
    "control_effective": "轮候查封生效",
    "control_expired": "控制措施到期失效",
    "control_withdrawn": "单位撤销控制登记",
    "control_converted": "预查封转为查封",
    "digest": "周报",
    "delivery_failed": "送达失败",
}
ENTITIES = {"task": "任务", "control": "控制措施", "court": "法院", "unit": "单位", "delivery": "送达"}
NOTICE_LIMIT = 64 * 1024  # a year's notice is a few hundred bytes
ALERTS_PER_PAGE = 50
SHOWN_DONE = 30  # served and cancelled deliveries shown, newest first


def _admin(user: SignedIn) -> None:
    if user.principal.role != "admin":
        raise Forbidden("此页面仅供系统管理员使用。")


def _units(session: Session) -> list[Unit]:
    """The units as loaded from the directory, inactive ones too (the directory has no listing service)."""
    return list(session.execute(select(Unit).order_by(Unit.active.desc(), Unit.code)).scalars())


def _court_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Court.code, Court.name)).all())


def safe_url(url: str) -> str:
    """An address as shown: no user or password, and no query values (either may hold a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    netloc = ("***@" if parts.username or parts.password else "") + host
    netloc += f":{parts.port}" if parts.port else ""
    query = "&".join(f"{p.split('=', 1)[0]}=***" for p in parts.query.split("&") if p) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def channel_facts(channel: dict[str, Any]) -> list[tuple[str, str]]:
    """What a stored channel table may show: the keys of the bundled kinds, never a secret's value."""
    kind = channel.get("kind")
    if kind == "http-push":
        return [
            ("地址", safe_url(str(channel.get("url", "")))),
            ("令牌环境变量", str(channel.get("token_env", ""))),
            ("超时", f"{channel.get('timeout_s', 10):g} 秒"),
            ("格式", "标准格式" if channel.get("format", "standard") == "standard" else "单位自有格式"),
        ]
    if kind == "email":
        return [("收件人", "、".join(channel.get("to", [])))]
    if kind == "folder":
        return [("发出目录", str(channel.get("outbox", ""))), ("回执目录", str(channel.get("inbox", "")))]
    if kind == "ckw":
        return [
            ("客户端", CKW_PROFILES.get(str(channel.get("profile")), str(channel.get("profile")))),
            ("用户名", str(channel.get("username", ""))),
            ("密码环境变量", str(channel.get("password_env", ""))),
            ("内容编码", "字段值另行 Base64" if channel.get("encode_values", True) else "字段值为原文"),
        ]
    return []


CKW_PROFILES = {"real-estate": "不动产登记系统（轮询查控服务）", "bank": "银行前置系统（轮询查控服务）"}


def certificate_facts(pems: list[str]) -> list[dict[str, Any]]:
    """What the page shows of each registered certificate: subject, fingerprint, validity."""
    at = now()
    facts = []
    for pem in pems:
        certificate = load_certificate(pem)
        facts.append(
            {
                "subject": certificate.subject.rfc4514_string(),
                "fingerprint": fingerprint(certificate),
                "until": certificate.not_valid_after_utc.astimezone(SHANGHAI).date(),
                "current": certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc,
            }
        )
    return facts


@router.get("", response_class=HTMLResponse)
def overview(request: Request, user: WebUserDep, session: SessionDep) -> Response:
    _admin(user)
    counts = {
        status: list_deliveries(
            session, principal=user.principal, status=status, unit_code=None, limit=1, offset=0
        )[1]
        for status in ("failed", "waiting")
    }
    return page(request, "admin/index.html", counts=counts)


@router.get("/units", response_class=HTMLResponse)
def units(request: Request, user: WebUserDep, session: SessionDep) -> Response:
    _admin(user)
    return page(
        request,
        "admin/units.html",
        units=_units(session),
        courts=session.execute(select(Court).order_by(Court.code)).scalars().all(),
        certificate_facts=certificate_facts,
        categories=CATEGORIES,
        channels=CHANNEL_NAMES,
        channel_facts=channel_facts,
    )


def _users_page(
    request: Request,
    session: Session,
    hub: Hub,
    *,
    issued: dict[str, Any] | None = None,
    done: str | None = None,
) -> Response:
    units = _units(session)
    return page(
        request,
        "admin/users.html",
        accounts=accounts(session),
        units={u.code: u.name for u in units},
        active_units={u.code for u in units if u.active},
        courts=_court_names(session),
        issued=issued,
        done=DONE.get(done or ""),
        locks=locks(session, settings=hub.settings, at=now()),
        is_unit_system=is_unit_system,
    )


@router.get("/users", response_class=HTMLResponse)
def users(
    request: Request, user: WebUserDep, session: SessionDep, hub: HubDep, done: str | None = None
) -> Response:
    _admin(user)
    return _users_page(request, session, hub, done=done)


@router.post("/users/{user_id}/tokens", response_class=HTMLResponse)
def issue(
    request: Request, user_id: int, user: WebUserDep, session: SessionDep, hub: HubDep, form: FormDep
) -> Response:
    """A new token, shown once on the page that answers (it is stored only as its hash)."""
    _admin(user)
    label = str(form.get("label") or "").strip() or "网页签发"
    if len(label) > 100:
        raise Invalid("令牌用途说明最多 100 个字。")
    with in_chinese(MESSAGES):
        token = grant_token(session, user_id=user_id, label=label, actor=user.principal.actor)
    response = _users_page(request, session, hub, issued={"user_id": user_id, "label": label, "token": token})
    response.headers["Cache-Control"] = "no-store"  # the token is in this page only
    return response


@router.post("/tokens/{token_id}/revoke")
def revoke(token_id: int, user: WebUserDep, session: SessionDep, _: FormDep) -> Response:
    _admin(user)
    with in_chinese(MESSAGES):
        revoke_token(session, token_id=token_id, actor=user.principal.actor, at=now())
    return RedirectResponse("/admin/users?done=revoked", status_code=303)


@router.post("/users/{user_id}/unlock")
def unlock(user_id: int, user: WebUserDep, session: SessionDep, hub: HubDep, _: FormDep) -> Response:
    _admin(user)
    with in_chinese(MESSAGES):
        unlock_user(session, settings=hub.settings, user_id=user_id, actor=user.principal.actor, at=now())
    return RedirectResponse("/admin/users?done=unlocked", status_code=303)


@router.post("/sources/unlock")
def unlock_address(user: WebUserDep, session: SessionDep, hub: HubDep, form: FormDep) -> Response:
    _admin(user)
    source = str(form.get("source") or "")
    with in_chinese(MESSAGES):
        unlock_source(session, settings=hub.settings, source=source, actor=user.principal.actor, at=now())
    return RedirectResponse("/admin/users?done=unlocked", status_code=303)


@router.post("/users/{user_id}/reactivate")
def reactivate(user_id: int, user: WebUserDep, session: SessionDep, _: FormDep) -> Response:
    _admin(user)
    with in_chinese(MESSAGES):
        reactivate_user(session, user_id=user_id, actor=user.principal.actor)
    return RedirectResponse("/admin/users?done=reactivated", status_code=303)


def _year(text: str | None) -> int:
    if not text:
        return today_shanghai().year
    if not re.fullmatch(r"\d{4}", text.strip()) or not 2000 <= int(text) <= 2100:
        raise Invalid(f"年份“{text}”无法识别：请写四位数字，例如 2027。", code="invalid_parameters")
    return int(text)


def _calendar_page(
    request: Request, session: Session, year: int, status_code: int = 200, **context: Any
) -> Response:
    return page(
        request,
        "admin/calendar.html",
        status_code=status_code,
        calendar=show_year(session, year=year),
        units={u.code: u.name for u in _units(session)},
        **{"result": None, "error": None} | context,
    )


@router.get("/calendar", response_class=HTMLResponse)
def calendar(request: Request, user: WebUserDep, session: SessionDep, year: str | None = None) -> Response:
    _admin(user)
    return _calendar_page(request, session, _year(year))


def _notice_name(upload: UploadFile) -> str:
    name = re.sub(r"[^\w.-]", "_", Path(upload.filename or "").name)[:80]
    return name if name.strip("._") else "notice.toml"


@router.post("/calendar", response_class=HTMLResponse)
def import_notice(request: Request, user: WebUserDep, session: SessionDep, form: FormDep) -> Response:
    """A year's notice (TOML, hub/calendar/importer.py) uploaded: imported, and the tasks it moved shown."""
    _admin(user)
    upload = form.get("notice")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid("请选择要导入的年度通知文件（TOML 格式）。")
    data = upload.file.read(NOTICE_LIMIT + 1)
    if len(data) > NOTICE_LIMIT:
        raise Invalid(f"文件超过 {NOTICE_LIMIT // 1024} KB：年度通知文件通常只有几百字节，请确认选择的文件。")
    name = _notice_name(upload)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            notice = load_notice(path)
        except NoticeError as exc:
            error = str(exc).replace(str(path), name)
            return _calendar_page(request, session, today_shanghai().year, 422, error=error)
    result = import_year(session, notice=notice, actor=user.principal.actor)
    return _calendar_page(request, session, notice.year, result=result)


@router.get("/deliveries", response_class=HTMLResponse)
def deliveries(request: Request, user: WebUserDep, session: SessionDep, done: str | None = None) -> Response:
    """Failed deliveries first, then those waiting or running, then the latest served and cancelled."""
    _admin(user)
    sections, totals = [], {}
    for status in DELIVERY_STATES:
        limit = SHOWN_DONE if status in ("served", "cancelled") else 500
        rows, totals[status] = list_deliveries(
            session, principal=user.principal, status=status, unit_code=None, limit=limit, offset=0
        )
        sections.append((status, rows))
    return page(
        request,
        "admin/deliveries.html",
        sections=sections,
        totals=totals,
        statuses=DELIVERY_STATES,
        outcomes=ATTEMPT_OUTCOMES,
        channels=CHANNEL_NAMES,
        units={u.code: u.name for u in _units(session)},
        done=DONE.get(done or ""),
    )


@router.post("/deliveries/{delivery_id}/serve-again")
def deliver_again(
    delivery_id: int,
    user: WebUserDep,
    session: SessionDep,
    hub: HubDep,
    background: BackgroundTasks,
    _: FormDep,
) -> Response:
    _admin(user)
    with in_chinese(MESSAGES):
        delivery = visible_delivery(session, principal=user.principal, delivery_id=delivery_id)
        serve_again(
            session,
            delivery=delivery,
            actor=user.principal.actor,
            settings=hub.settings,
            blobs=hub.blobs,
            calendar=load_calendar(session),
        )
    background.add_task(hub.wake)  # after the commit, as the API does
    return RedirectResponse("/admin/deliveries?done=again", status_code=303)


def covered(kind: str, entity: str, entity_id: str, variant: str) -> str:
    """One thing an alert told, in words: 逾期 · 任务 #12, 控制措施即将到期 · 控制措施 #3（到期前 30 天）."""
    number = f"#{entity_id}" if entity in ("task", "control", "delivery") else entity_id
    what = f"{ALERT_KINDS.get(kind, kind)} · {ENTITIES.get(entity, entity)} {number}"
    if variant and kind == "control_ending":
        return f"{what}（到期前 {variant} 天）"
    return f"{what}（{variant}）" if variant else what


@router.get("/alerts", response_class=HTMLResponse)
def alerts(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    job: str | None = None,
    number: Annotated[str | None, Query(alias="page")] = None,
) -> Response:
    _admin(user)
    job = job if job in JOBS else None
    page_no = page_number(number)
    rows, total = list_alerts(
        session,
        principal=user.principal,
        job=job,
        limit=ALERTS_PER_PAGE,
        offset=(page_no - 1) * ALERTS_PER_PAGE,
    )
    return page(
        request,
        "admin/alerts.html",
        alerts=rows,
        total=total,
        jobs=JOBS,
        job=job,
        page_no=page_no,
        pages=max((total + ALERTS_PER_PAGE - 1) // ALERTS_PER_PAGE, 1),
        covered=covered,
    )
