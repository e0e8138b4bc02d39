"""The e-mails of the alert jobs: one per recipient per run, every owed item in a table, text and HTML.

Each kind has a section: a title, a sentence, and one row per task or control, with a link into the
web pages (HUB_PUBLIC_URL). A control that is ending carries its renewal request, drafted.
"""

import html
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.alerts.jobs import Context, objection_due
from hub.clock import SHANGHAI
from hub.controls.import_records import imported_refusal
from hub.controls.renewal import renewal_draft
from hub.errors import HubError
from hub.models import AlertItem, Control, Court, QueuedDelivery, Receipt, Request, Task, Unit
from hub.standard.codes import Action, AssetClass
from hub.standard.labels import label
from hub.standard.notice import chinese_date, chinese_instant
from hub.standard.rules import inspect
from hub.supervision.service import period, unit_figures

MAX_ROWS = 200  # per section: an e-mail stays readable; the rest is one click away on the pages


@dataclass
class Section:
    title: str
    intro: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


@dataclass
class Composed:
    subject: str
    text: str
    html: str
    attachments: dict[str, bytes] = field(default_factory=dict)


SUBJECTS = {
    "digest": "执行联动周报：{period}（{whom}）",
    "due-soon": "即将到期提醒：{n} 件协助事项即将到期",
    "overdue": "逾期提醒：{n} 件协助事项已超过办理期限",
    "escalation": "督办：{n} 件协助事项逾期未办",
    "objections": "异议提醒：{n} 件协助事项有待答复的异议",
    "controls": "控制措施提醒：{n} 项",
    "delivery-failed": "送达失败：{n} 件任务无法送达",
}


def _overdue_days(ctx: Context, task: Task) -> str:
    return str(ctx.calendar.working_days_between(task.due_at.astimezone(SHANGHAI).date(), ctx.today))


def _task_row(task: Task, request: Request, unit: Unit) -> list[str]:
    return [
        str(task.id),
        unit.name,
        label(Action(request.action)),
        request.request_no,
        request.case_no,
        request.subject_name,
        chinese_instant(task.due_at),
    ]


TASK_COLUMNS = ["事项编号", "协助单位", "事项", "文书编号", "案号", "被执行人", "办理期限"]


def _task_section(session: Session, ctx: Context, kind: str, ids: list[int]) -> Section:
    rows = session.execute(
        select(Task, Request, Unit)
        .join(Request, Request.id == Task.request_id)
        .join(Unit, Unit.code == Task.unit_code)
        .where(Task.id.in_(ids))
        .order_by(Task.due_at, Task.id)
    ).all()
    escalate, lead = ctx.settings.escalation_days, ctx.settings.due_soon_days
    soon = "下一个工作日" if lead == 1 else f"{lead} 个工作日内"
    spec = {
        "due_soon": ("即将到期", f"以下协助事项将于{soon}到期，请及时办理并上传回执。", []),
        "overdue": ("已逾期", "以下协助事项已超过办理期限，尚未收到最终回执。", ["逾期工作日"]),
        "escalation": (
            "督办",
            f"以下协助事项逾期已超过 {escalate} 个工作日，请督促办理。",
            ["逾期工作日"],
        ),
        "objection": (
            "协助单位提出异议",
            "以下协助事项的协助单位提出异议，法院应在期限内答复。",
            ["异议理由", "答复期限"],
        ),
        "objection_overdue": (
            "异议答复已逾期",
            "以下异议已超过答复期限，尚未答复。",
            ["异议理由", "答复期限"],
        ),
    }
    title, intro, extra = spec[kind]
    section = Section(title, intro, TASK_COLUMNS + extra)
    for task, request, unit in rows:
        row = _task_row(task, request, unit)
        if "逾期工作日" in extra:
            row.append(_overdue_days(ctx, task))
        if kind.startswith("objection"):
            row += [
                _objection_reason(session, task) or "—",
                chinese_instant(objection_due(task, ctx.settings)),
            ]
        section.rows.append(row)
        section.links.append(f"{ctx.settings.public_url.rstrip('/')}/tasks/{task.id}")
    return section


def _objection_reason(session: Session, task: Task) -> str | None:
    receipt = (
        session.execute(
            select(Receipt)
            .where(Receipt.task_id == task.id, Receipt.outcome == "OBJECTED")
            .order_by(Receipt.id.desc())
        )
        .scalars()
        .first()
    )
    return receipt.reason_text if receipt else None


CONTROL_SPEC = {
    "control_ending": (
        "即将到期的控制措施",
        "以下控制措施即将到期，如需续行，请在到期前至少 7 日提出。续行申请草稿已附在本邮件中：请核对，并换上续行裁定书后提交。",
    ),
    "control_effective": ("轮候查封已生效", "以下轮候控制措施已经生效。"),
    "control_expired": (
        "已到期失效的控制措施",
        "以下控制措施已到期，未续行，已失效。续行只能在原措施到期前办理：协助单位在到期后办理的续行登记将被拒绝。"
        "如需继续控制该财产，请重新申请查封、扣押或冻结（其他法院的轮候措施此时可能已经生效）。",
    ),
    "control_converted": (
        "预查封已转为查封",
        "协助单位反馈：被执行人已登记为以下财产的权利人，预查封已转为查封，查封期限自预查封之日起计算（见下表）。"
        "如需继续查封，请在届满前按查封办理续行。",
    ),
    "control_withdrawn": (
        "协助单位已撤销的控制登记",
        "协助单位反馈：以下已登记的控制措施已被撤销，不再有效。请核实原因，必要时重新申请控制。",
    ),
}


def _control_section(
    session: Session, ctx: Context, kind: str, ids: list[int], composed: Composed
) -> Section:
    title, intro = CONTROL_SPEC[kind]
    section = Section(
        title, intro, ["控制编号", "协助单位", "财产", "登记编号", "期限", "剩余天数", "文书编号", "案号"]
    )
    rows = session.execute(
        select(Control, Request, Unit)
        .join(Request, Request.id == Control.request_id)
        .join(Unit, Unit.code == Control.unit_code)
        .where(Control.id.in_(ids))
        .order_by(Control.period_end, Control.id)
    ).all()
    for control, request, unit in rows:
        left = (control.period_end - ctx.today).days if control.period_end else None
        period = (
            f"{chinese_date(control.period_start)}至{chinese_date(control.period_end)}"
            if control.period_end
            else "—"
        )
        section.rows.append(
            [
                str(control.id),
                unit.name,
                f"{label(AssetClass(control.asset_class))} {control.asset_id}",
                control.registration_no or "—",
                period,
                "—" if left is None or left < 0 else str(left),
                request.request_no,
                request.case_no,
            ]
        )
        section.links.append(f"{ctx.settings.public_url.rstrip('/')}/controls/{control.id}")
        if kind == "control_ending":
            composed.attachments.update(_draft(session, ctx, control))
    return section


def _draft(session: Session, ctx: Context, control: Control) -> dict[str, bytes]:
    if imported_refusal(session, control=control) is not None:
        return {}  # no ruling or notice of it to list: renewed on its page, with them uploaded
    try:
        draft = renewal_draft(session, control=control, settings=ctx.settings, at=ctx.at)
    except HubError:
        return {}
    request_no = inspect(draft, expect="request").request.request_no
    return {f"续行申请草稿-{request_no}.xml": draft}


def _delivery_section(session: Session, ctx: Context, ids: list[int]) -> Section:
    section = Section(
        "无法送达的任务",
        "以下任务的所有送达渠道均已失败，请核实协助单位的送达配置后重新送达。",
        ["事项编号", "协助单位", "文书编号", "最后渠道", "最后错误"],
    )
    rows = session.execute(
        select(QueuedDelivery, Task, Request, Unit)
        .join(Task, Task.id == QueuedDelivery.task_id)
        .join(Request, Request.id == Task.request_id)
        .join(Unit, Unit.code == Task.unit_code)
        .where(QueuedDelivery.id.in_(ids))
        .order_by(QueuedDelivery.id)
    ).all()
    for delivery, task, request, unit in rows:
        section.rows.append(
            [str(task.id), unit.name, request.request_no, delivery.kind, (delivery.last_error or "")[:200]]
        )
        section.links.append(f"{ctx.settings.public_url.rstrip('/')}/admin/deliveries/{delivery.id}")
    return section


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _digest(session: Session, ctx: Context, items: list[AlertItem]) -> Composed:
    """The weekly supervision report: a sentence of totals, a row per unit, then every overdue task."""
    variant = items[0].variant  # the ISO week of the Monday it was due
    monday = date.fromisocalendar(int(variant[:4]), int(variant[6:]), 1)
    first, last = monday - timedelta(days=7), monday - timedelta(days=1)
    start, end = period(first, last)
    figures, whom = [], []
    for item in items:
        if item.entity == "court":
            figures += unit_figures(
                session, calendar=ctx.calendar, start=start, end=end, at=ctx.at, court_code=item.entity_id
            )
            whom.append(session.get(Court, item.entity_id).name)
        else:
            figures += unit_figures(
                session, calendar=ctx.calendar, start=start, end=end, at=ctx.at, unit_codes=[item.entity_id]
            )
            whom.append(session.get(Unit, item.entity_id).name)
    received = sum(f.received for f in figures)
    answered = sum(f.answered for f in figures)
    on_time = sum(f.on_time for f in figures)
    overdue = [t for f in figures for t in f.open_overdue]
    names = {f.unit_code: f.unit_name for f in figures}
    span = f"{chinese_date(first)}至{chinese_date(last)}"
    summary = Section(
        "各单位办理情况",
        f"{span}，共向 {len(figures)} 个协助单位送达 {received} 件协助事项，已答复 {answered} 件，"
        f"其中按期答复 {on_time} 件（按期率 {_percent(on_time / answered * 100 if answered else None)}）；"
        f"截至发送时，逾期未办 {len(overdue)} 件。",
        ["协助单位", "收到", "已答复", "按期", "按期率", "答复用时中位数（工作日）", "逾期未办"],
    )
    for f in sorted(figures, key=lambda f: (-len(f.open_overdue), f.on_time_pct or 0, f.unit_code)):
        median = "—" if f.median_working_days is None else f"{f.median_working_days:g}"
        summary.rows.append(
            [
                f.unit_name,
                str(f.received),
                str(f.answered),
                str(f.on_time),
                _percent(f.on_time_pct),
                median,
                str(len(f.open_overdue)),
            ]
        )
    sections = [summary]
    if overdue:
        late = Section(
            "逾期未办清单",
            "以下协助事项已超过办理期限，尚未收到最终回执，请督促办理。",
            ["事项编号", "协助单位", "事项", "文书编号", "案号", "办理期限", "逾期工作日"],
        )
        for t in sorted(overdue, key=lambda t: (t.due_at, t.task_id)):
            late.rows.append(
                [
                    str(t.task_id),
                    names[t.unit_code],
                    label(Action(t.action)),
                    t.request_no,
                    t.case_no,
                    chinese_instant(t.due_at),
                    str(t.working_days_overdue),
                ]
            )
            late.links.append(f"{ctx.settings.public_url.rstrip('/')}/tasks/{t.task_id}")
        sections.append(late)
    report = SUBJECTS["digest"].format(period=span, whom="、".join(whom))
    subject = "【执行联动】" + report
    text, page = render(subject, sections, at=ctx.at, heading=report)
    return Composed(subject, text, page)


def compose(session: Session, ctx: Context, *, job: str, items: list[AlertItem]) -> Composed:
    """The one e-mail of `job` for the recipient of `items`."""
    if job == "digest":
        return _digest(session, ctx, items)
    composed = Composed(subject="", text="", html="")
    sections = []
    for kind in dict.fromkeys(i.kind for i in items):
        ids = sorted({int(i.entity_id) for i in items if i.kind == kind})
        if kind.startswith("control_"):
            sections.append(_control_section(session, ctx, kind, ids, composed))
        elif kind == "delivery_failed":
            sections.append(_delivery_section(session, ctx, ids))
        else:
            sections.append(_task_section(session, ctx, kind, ids))
    count = sum(len(s.rows) for s in sections)
    composed.subject = "【执行联动】" + SUBJECTS[job].format(n=count)
    composed.text, composed.html = render(composed.subject, sections, at=ctx.at)
    return composed


FOOTER = "此邮件由执行联动协作平台自动发送，请勿直接回复。"


def render(
    subject: str, sections: list[Section], *, at: datetime, heading: str | None = None
) -> tuple[str, str]:
    """The plain text and the HTML of one e-mail from its sections, under `heading` when it is a report."""
    lines = [heading, ""] if heading else ["您好：", ""]
    parts = [f"<h2>{html.escape(heading)}</h2>"] if heading else ["<p>您好：</p>"]
    for section in sections:
        more = len(section.rows) - MAX_ROWS
        if more > 0:
            section = Section(
                section.title,
                section.intro,
                section.columns,
                section.rows[:MAX_ROWS],
                section.links[:MAX_ROWS],
            )
        lines += [f"【{section.title}】{section.intro}", ""]
        head = "".join(f"<th>{html.escape(c)}</th>" for c in section.columns)
        body = []
        for i, (row, link) in enumerate(
            zip(section.rows, section.links or [""] * len(section.rows), strict=True), 1
        ):
            lines.append(f"{i}. " + "；".join(f"{c}：{v}" for c, v in zip(section.columns, row, strict=True)))
            if link:
                lines.append(f"   {link}")
            first = (
                f'<a href="{html.escape(link)}">{html.escape(row[0])}</a>' if link else html.escape(row[0])
            )
            cells = f"<td>{first}</td>" + "".join(f"<td>{html.escape(v)}</td>" for v in row[1:])
            body.append(f"<tr>{cells}</tr>")
        rest = f"……另有 {more} 项未在此列出，请登录平台查看。" if more > 0 else ""
        lines += [rest, ""] if rest else [""]
        parts.append(
            f"<h3>{html.escape(section.title)}</h3><p>{html.escape(section.intro)}</p>"
            f'<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">'
            f"<tr>{head}</tr>{''.join(body)}</table>" + (f"<p>{html.escape(rest)}</p>" if rest else "")
        )
    stamp = chinese_instant(at)
    lines += [f"（截至 {stamp}）", FOOTER]
    parts.append(f'<p>（截至 {html.escape(stamp)}）</p><p style="color:#666">{html.escape(FOOTER)}</p>')
    page = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family:sans-serif">{"".join(parts)}</body></html>'
    )
    return "\n".join(lines), page
