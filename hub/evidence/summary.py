"""summary.txt: what the case holds, request by request and unit by unit, for a person reading the archive."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hub.controls.states import LABELS as CONTROL_STATES
from hub.controls.states import ControlStatus
from hub.models import Control, Court, FoundAsset, Receipt, Request, Task
from hub.standard.labels import STATUS_NAMES, label_of
from hub.standard.notice import chinese_date, chinese_instant, chinese_money

NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Header:
    case_no: str
    court: Court
    exported_at: datetime
    actor: str
    version: str
    head_seq: int
    head_hash: str
    audit_events: int


@dataclass
class CaseRecords:
    """The case's rows, as the export read them; `path` names the member that holds a stored file."""

    requests: list[Request]
    units: dict[str, str]  # code -> name
    receipts: dict[int, list[Receipt]]  # by task id
    controls: dict[int, list[Control]]  # by task id
    found: dict[int, list[FoundAsset]]  # by receipt id
    path: Callable[..., str]  # (request or receipt[, filename]) -> the member holding its document [or file]


def _ordinal(n: int) -> str:
    return NUMERALS[n - 1] if n <= len(NUMERALS) else str(n)


def _period(start, end) -> str:
    if start is None and end is None:
        return ""
    return f"，期间 {chinese_date(start) if start else '—'}至{chinese_date(end) if end else '—'}"


def _money(amount, currency) -> str:
    return f"，金额 {chinese_money(amount, currency or 'CNY')}" if amount is not None else ""


# Who holds an encumbrance, named before the holder (a seal's court and other holders stand alone);
# the same words as the pages' hub/web/templates/_encumbrances.html.
HOLDERS = {"MORTGAGE": "抵押权人 ", "ADVANCE_NOTICE": "权利人 ", "OBJECTION": "申请人 "}


def _encumbrance_line(e: dict[str, str]) -> str:
    """A seal, mortgage or other right on a found asset as stored in found_assets.encumbrances, in one line."""
    parts = [label_of("EncumbranceKind", e.get("kind", ""))]
    if e.get("holder"):
        parts.append(HOLDERS.get(e["kind"], "") + e["holder"])
    if e.get("amount"):
        what = "被担保债权" if e.get("kind") == "MORTGAGE" else "金额"
        parts.append(f"{what} {chinese_money(e['amount'], e.get('currency') or 'CNY')}")
    if e.get("registration_no"):
        parts.append(f"登记号 {e['registration_no']}")
    if e.get("reference"):
        parts.append(e["reference"])
    if e.get("start") or e.get("end"):
        start, end = e.get("start"), e.get("end")
        parts.append(f"{chinese_date(start) if start else '—'}至{chinese_date(end) if end else '—'}")
    if e.get("description"):
        parts.append(e["description"])
    return " · ".join(parts)


def _task_line(task: Task, unit_name: str) -> str:
    state = STATUS_NAMES.get(task.status, task.status)
    if task.outcome:
        state += f"，结果：{label_of('Outcome', task.outcome)}"
    elif task.status in ("created", "served", "acknowledged"):
        state += "，尚未答复"
    return f"{unit_name}（{task.unit_code}）：{state}"


def _receipt_lines(receipt: Receipt, records: CaseRecords) -> list[str]:
    final = "最终回执" if receipt.final else "中间回执"
    lines = [
        f"回执 {receipt.receipt_no}（{final}），经办人 {receipt.handler_name}，"
        f"办理时间 {chinese_instant(receipt.handled_at)}：{label_of('Outcome', receipt.outcome)}",
        f"  原文：{records.path(receipt)}",
    ]
    if receipt.reason_code:
        lines.append(
            f"  原因：{label_of('ReasonCode', receipt.reason_code)} {receipt.reason_text or ''}".rstrip()
        )
    for file in receipt.files:
        lines.append(
            f"  附件：{label_of('AttachmentType', file.type)} {records.path(receipt, file.filename)}"
        )
    for asset in records.found.get(receipt.id, []):
        owners = "、".join(
            f"{o.get('name', '')}" + (f"（{o['share']}）" if o.get("share") else "")
            for o in asset.owners or []
        )
        lines.append(
            f"  查到财产：{label_of('AssetClass', asset.asset_class)} {asset.asset_id}"
            + (f"，{asset.description}" if asset.description else "")
            + (
                f"，价值 {chinese_money(asset.value, asset.currency or 'CNY')}"
                if asset.value is not None
                else ""
            )
            + (f"，状态：{label_of('AssetStatus', asset.status)}" if asset.status else "")
            + (f"，权利人：{owners}" if owners else "")
        )
        lines.extend(f"    {_encumbrance_line(e)}" for e in asset.encumbrances or [])
    return lines


def _control_line(control: Control) -> str:
    return (
        f"控制措施：{label_of('Action', control.kind)} {label_of('AssetClass', control.asset_class)} "
        f"{control.asset_id}，登记号 {control.registration_no or '—'}，"
        f"状态：{CONTROL_STATES.get(control.status, control.status)}"
        + (f"（轮候第 {control.queue_position} 位）" if control.queue_position else "")
        + _period(control.period_start, control.period_end)
        + _money(control.amount, control.currency)
    )


def _current_lines(records: CaseRecords) -> list[str]:
    """Each control of the case once: a renewed control and its renewals as the latest of them."""
    controls = {c.id: c for found in records.controls.values() for c in found}
    current = sorted((c for c in controls.values() if c.status != ControlStatus.RENEWED), key=lambda c: c.id)
    if not current:
        return []
    lines = ["控制措施现状（续行的措施与其续行合并为一项，以最近一次续行为准）："]
    for control in current:
        renewals, earlier = 0, control.renews_id
        while earlier in controls and renewals < len(controls):
            renewals, earlier = renewals + 1, controls[earlier].renews_id
        lines.append(f"  {_control_line(control)}" + (f"，经 {renewals} 次续行" if renewals else ""))
    return [*lines, ""]


def _request_lines(number: int, request: Request, records: CaseRecords) -> list[str]:
    lines = [
        f"{_ordinal(number)}、{request.request_no} {label_of('Action', request.action)}"
        f"（{STATUS_NAMES.get(request.status, request.status)}）",
        f"  签发：{chinese_instant(request.issued_at)}　收到：{chinese_instant(request.received_at)}",
        f"  承办人：{request.officer_name}"
        + (f"（执法证号 {request.officer_credential_no}）" if request.officer_credential_no else ""),
        f"  被执行人：{request.subject_name}，{label_of('IdType', request.subject_id_type)} "
        f"{request.subject_id_number}",
        f"  请求原文：{records.path(request)}",
    ]
    for file in request.files:
        lines.append(
            f"  法律文书：{label_of('DocumentType', file.type)} {records.path(request, file.filename)}"
        )
    for item in request.items:
        lines.append(
            f"  财产项目 {item.position}：{label_of('AssetClass', item.asset_class)} {item.asset_id}"
            + (f"，{item.description}" if item.description else "")
            + _money(item.amount, item.currency)
            + _period(item.period_start, item.period_end)
        )
    lines.append("  协助单位：")
    for n, task in enumerate(request.tasks, start=1):
        lines.append(f"  {n}. {_task_line(task, records.units.get(task.unit_code, task.unit_code))}")
        lines.append(
            f"     送达 {chinese_instant(task.served_at)}，期限 {chinese_instant(task.due_at)}"
            f"{'（暂定）' if task.due_provisional else ''}，办结 {chinese_instant(task.closed_at)}"
        )
        for receipt in records.receipts.get(task.id, []):
            lines.extend(f"     {line}" for line in _receipt_lines(receipt, records))
        lines.extend(f"     {_control_line(c)}" for c in records.controls.get(task.id, []))
    return lines


def render(header: Header, records: CaseRecords) -> str:
    tasks = sum(len(r.tasks) for r in records.requests)
    receipts = sum(len(v) for v in records.receipts.values())
    files = sum(len(r.files) for r in records.requests) + sum(
        len(receipt.files) for v in records.receipts.values() for receipt in v
    )
    lines = [
        "执行联动电子证据包",
        "",
        f"案号：{header.case_no}",
        f"法院：{header.court.name}（{header.court.code}）",
        f"导出时间：{chinese_instant(header.exported_at)}（北京时间）",
        f"导出人：{header.actor}",
        f"平台版本：Linkage Hub {header.version}",
        f"审计链：导出时共 {header.head_seq} 条事件，链头 {header.head_hash}",
        "",
        f"本证据包收录 {len(records.requests)} 份请求、{tasks} 项任务、{receipts} 份回执、{files} 个文件"
        f"（均为收到时的原样字节），以及 {header.audit_events} 条审计事件（audit.jsonl）。",
        "每个文件的大小和 SHA-256 列在 manifest.json 中；manifest.sig 是平台对 manifest.json 的签名，",
        "hub-cert.pem 是平台的签名证书。核验：hub evidence verify 本文件.zip --cert 平台证书.pem",
        "",
    ]
    lines.extend(_current_lines(records))
    for number, request in enumerate(records.requests, start=1):
        lines.extend(_request_lines(number, request, records))
        lines.append("")
    return "\n".join(lines)
