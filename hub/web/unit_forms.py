"""The unit staff's receipt forms, read: posted values into the fields of a ReceiptDraft, problems in Chinese.

Each reader checks what a person can get wrong in a form (a blank field, a date, an amount, a row
half filled) and says where, in words; the rules of the standard are applied again when the receipt
is submitted. The field names here are those of templates/unit/*.html.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import PurePath
from typing import Any, TypeVar

from starlette.datastructures import FormData, UploadFile

from hub.clock import SHANGHAI, now
from hub.controls.states import ControlStatus
from hub.models import Control, Item, Task
from hub.standard.codes import (
    FINAL_OUTCOMES,
    FUNDS_CLASSES,
    PERIOD_ACTIONS,
    REASON_REQUIRED,
    Action,
    AssetClass,
    AssetStatus,
    AttachmentType,
    Outcome,
    ReasonCode,
)
from hub.standard.write_receipt import AssetResult, Attached, ControlEntry, OwnerShare

C = TypeVar("C", bound=StrEnum)
ASSET_KEY = re.compile(r"asset-(\d{1,4})-(?:owner-(\d{1,4})-)?")
CONTROL_OUTCOMES = (
    Outcome.CONTROLLED,
    Outcome.PARTIAL,
    Outcome.WAITLISTED,
    Outcome.RELEASED,
    Outcome.TRANSFERRED,
)
SCAN = {"signed_scan": AttachmentType.SIGNED_RECEIPT}
FILE_WHERE = {AttachmentType.SIGNED_RECEIPT: "签章回执扫描件", AttachmentType.OBJECTION: "书面异议"}


@dataclass
class Filled:
    """A posted form, read: the values as typed, every problem ({where, message}), the keyword arguments
    of ReceiptDraft it gives (receipt_no and handled_at None: generate them), and the files by name."""

    values: dict[str, str]
    problems: list[dict[str, str | None]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


class Reader:
    """The text fields of a posted form, read one by one; each thing wrong becomes a problem."""

    def __init__(self, form: FormData) -> None:
        self.form = form
        self.values = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf"}
        self.problems: list[dict[str, str | None]] = []

    def fail(self, where: str | None, message: str) -> None:
        self.problems.append({"where": where, "message": message})

    def raw(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def text(self, name, where, *, required=False, limit=500, pattern=None, hint="") -> str | None:
        value = self.raw(name)
        if not value:
            return self.fail(where, "请填写。") if required else None
        if len(value) > limit:
            return self.fail(where, f"最多 {limit} 个字，现有 {len(value)} 个。")
        if pattern and not re.fullmatch(pattern, value):
            return self.fail(where, hint)
        return value

    def code(self, name: str, where: str, codes: type[C], *, required: bool = False) -> C | None:
        value = self.raw(name)
        if not value:
            return self.fail(where, "请选择。") if required else None
        try:
            return codes(value)
        except ValueError:
            return self.fail(where, f"“{value}”不是可选的值，请重新选择。")

    def money(self, name: str, where: str) -> Decimal | None:
        value = self.raw(name).replace(",", "").replace("，", "")
        if not value:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = Decimal("NaN")
        exponent = amount.as_tuple().exponent
        if (
            not amount.is_finite()
            or not 0 <= amount < 10**16
            or not isinstance(exponent, int)
            or exponent < -2
        ):
            return self.fail(where, f"“{value}”不是金额：请写成 50000.00 这样的数，最多两位小数。")
        return amount

    def day(self, name: str, where: str) -> date | None:
        value = self.raw(name)
        try:
            return date.fromisoformat(value.replace("/", "-")) if value else None
        except ValueError:
            return self.fail(where, f"“{value}”不是日期，请写成 2026-11-27。")

    def number(self, name: str, where: str) -> int | None:
        value = self.raw(name)
        if value and (not (value.isascii() and value.isdigit()) or int(value) < 1 or len(value) > 6):
            return self.fail(where, "请填写正整数，例如 2。")
        return int(value) if value else None

    def period(self, prefix: str, where: str) -> tuple[date | None, date | None]:
        start, end = (
            self.day(f"{prefix}start", f"{where}的起始日期"),
            self.day(f"{prefix}end", f"{where}的截止日期"),
        )
        if (self.raw(f"{prefix}start") == "") != (self.raw(f"{prefix}end") == ""):
            self.fail(where, "请同时填写起止日期，或都不填。")
        elif start and end and end < start:
            self.fail(where, "截止日期早于起始日期。")
        return (start, end) if start and end else (None, None)

    def file(self, part: UploadFile, where: str, limit: int) -> bytes | None:
        data = part.file.read(limit + 1)
        if len(data) > limit:
            return self.fail(where, f"文件超过 {limit // (1024 * 1024)} MB 的上限。")
        return data if data else self.fail(where, "文件是空的，请重新选择。")

    def reason(self, outcome: Outcome | None, *, required: bool = False) -> dict[str, Any]:
        code = self.code("reason_code", "原因", ReasonCode)
        text = self.text("reason_text", "原因说明", limit=4000)
        if code is None and not self.raw("reason_code") and (required or outcome in REASON_REQUIRED):
            self.fail("原因", "请选择原因并写明情况。")
        elif code is None and text:
            self.fail("原因", "写了原因说明，请同时选择原因类别。")
        return {"reason_code": code, "reason_text": text}

    def filled(self, kinds: dict[str, AttachmentType], max_file_bytes: int, **fields: Any) -> Filled:
        """The form's common fields (ReceiptNo, handler, when handled) and chosen files, with `fields`."""
        receipt_no = self.text("receipt_no", "回执编号", limit=40, pattern=r"[A-Za-z0-9-]{6,40}",
                               hint="回执编号为 6 至 40 位英文字母、数字或连字符，也可留空由平台生成。")  # fmt: skip
        handler = self.text("handler_name", "经办人", required=True, limit=50)
        phone = self.text("handler_phone", "联系电话", limit=30, pattern=r"[0-9+\-() ]{3,30}",
                          hint="电话只能包含数字、空格和 + - ( )。")  # fmt: skip
        handled, value = None, self.raw("handled_at")
        try:  # a datetime-local input: Shanghai time, without an offset
            handled = datetime.fromisoformat(value) if value else None
            handled = handled.replace(tzinfo=SHANGHAI) if handled and handled.tzinfo is None else handled
        except ValueError:
            self.fail("办理时间", f"“{value}”不是时间，请写成 2026-11-30 10:00，或留空。")
        if handled is not None and handled > now():
            handled = self.fail("办理时间", "办理时间不能晚于现在。")
        common = {
            "receipt_no": receipt_no,
            "handler_name": handler,
            "handler_phone": phone,
            "handled_at": handled,
        }
        files, attachments = {}, []
        for name, kind in kinds.items():
            part = self.form.get(name)
            if not isinstance(part, UploadFile) or not part.filename:
                continue
            filename = file_name(part.filename, f"{kind.lower()}.pdf")
            if filename in files:
                filename = file_name(f"{kind.lower()}-{filename}", filename)
            if (data := self.file(part, FILE_WHERE.get(kind, "附件"), max_file_bytes)) is not None:
                files[filename] = data
                attachments.append(Attached.of(kind, filename, data))
        fields = {**fields, **common, "attachments": tuple(attachments)}
        return Filled(self.values, self.problems, fields, files)


def file_name(name: str, fallback: str) -> str:
    """A browser's file name as the standard takes it: no folders, no leading dot, at most 120 characters."""
    name = re.split(r"[/\\]", name)[-1].strip().lstrip(".").strip()
    if len(name) > 120:
        suffix = PurePath(name).suffix[:20]
        name = name[: 120 - len(suffix)] + suffix
    return name or fallback


# --- the receipt form, shaped by the request's action --------------------------------------------


def asset_rows(values: dict[str, str]) -> list[tuple[int, list[int]]]:
    """The asset rows and their owner rows as posted (blank ones too), at least two of each to fill in."""
    rows: dict[int, set[int]] = {}
    for key in values:
        if match := ASSET_KEY.match(key):
            owners = rows.setdefault(int(match[1]), set())
            if match[2] is not None:
                owners.add(int(match[2]))
    shown = []
    for index, owners in sorted((rows or {0: set(), 1: set()}).items()):
        slots = sorted(owners)
        while len(slots) < 2:
            slots.append(max(slots, default=-1) + 1)
        shown.append((index, slots))
    return shown


def _assets(r: Reader) -> list[AssetResult]:
    found = []
    for n, (i, slots) in enumerate(asset_rows(r.values), start=1):
        p, where = f"asset-{i}-", f"第 {n} 项财产"
        owned = [(r.raw(f"{p}owner-{j}-name"), r.raw(f"{p}owner-{j}-share")) for j in slots]
        if not any(r.raw(p + f) for f in ("id", "description", "value", "status")) and not any(
            map(any, owned)
        ):
            continue  # a row left blank
        asset_class = r.code(f"{p}class", f"{where}的类别", AssetClass, required=True)
        asset_id = r.text(f"{p}id", f"{where}的财产标识", required=True, limit=100)
        description = r.text(f"{p}description", f"{where}的说明", limit=500)
        value, status = (
            r.money(f"{p}value", f"{where}的价值"),
            r.code(f"{p}status", f"{where}的状态", AssetStatus),
        )
        owners = []
        for k, j in enumerate(slots, start=1):
            who = f"{where}的第 {k} 位权利人"
            name = r.text(f"{p}owner-{j}-name", who, limit=200)
            share = r.text(f"{p}owner-{j}-share", f"{who}的份额", limit=20, pattern=r"\d+/\d+",
                           hint="份额请写成 1/2 这样的分数。")  # fmt: skip
            if share and not name:
                r.fail(who, "填写了份额，请同时填写权利人姓名。")
            elif name:
                owners.append(OwnerShare(name, share))
        if asset_class and asset_id:
            found.append(
                AssetResult(asset_class, asset_id, description, value, status=status, owners=tuple(owners))
            )
    return found


def _located(r: Reader, task: Task, outcome: Outcome | None) -> list[AssetResult]:
    """Where the person was found: the standard has no field for it, so an OTHER asset, as the simulator does."""
    address, note = (
        r.text("located_address", "现住址", limit=200),
        r.text("located_note", "情况说明", limit=280),
    )
    if not (address or note):
        return []
    if outcome is not Outcome.LOCATED:
        r.fail("现住址", "只有“已找到”才填写住址和情况说明；请清空，或改选“已找到”。")
        return []
    text = "；".join(
        part for part in (address and f"现住址：{address}", note and f"情况说明：{note}") if part
    )
    return [AssetResult(AssetClass.OTHER, task.request.subject_id_number, text)]


def with_amount(action: Action, item: Item) -> bool:
    """Whether the form asks the amount for this item: deductions, and funds or items with an amount (a
    transfer's amount is the price of the sale: nothing the unit registers)."""
    if action is Action.TRANSFER:
        return False
    return action is Action.DEDUCT or item.amount is not None or AssetClass(item.asset_class) in FUNDS_CLASSES


def _controls(r: Reader, action: Action, items: list[Item], outcome: Outcome | None) -> list[ControlEntry]:
    """One <Control> per ticked item, for the outcomes that report what was done to the items."""
    if outcome not in CONTROL_OUTCOMES:
        return []
    entries = []
    for i, item in enumerate(items):
        p, where = f"item-{i}-", f"第 {i + 1} 项（{item.asset_id}）"
        if r.raw(f"{p}include") != "on":
            continue
        number = r.text(f"{p}registration", f"{where}的登记编号", required=True, limit=100)
        dated = action in PERIOD_ACTIONS and outcome is not Outcome.RELEASED
        start, end = r.period(p, where) if dated else (None, None)
        amount = r.money(f"{p}amount", f"{where}的金额") if with_amount(action, item) else None
        if action is Action.DEDUCT and amount is None:
            r.fail(f"{where}的金额", "请填写实际扣划的金额。")
        queue = r.number(f"{p}queue", f"{where}的轮候顺位")
        if outcome is Outcome.WAITLISTED and queue is None:
            r.fail(f"{where}的轮候顺位", "轮候登记请填写轮候顺位。")
        elif outcome is not Outcome.WAITLISTED and queue is not None:
            r.fail(f"{where}的轮候顺位", "只有“轮候”才填写轮候顺位；请清空，或改选“轮候”。")
        asset = (AssetClass(item.asset_class), item.asset_id)
        entries.append(ControlEntry(*asset, number, start, end, amount, queue_position=queue))
    if not entries and outcome is not Outcome.RELEASED:
        r.fail("办理情况", "请勾选已办理的财产，并填写登记编号。")
    return entries


def receipt_form(form: FormData, *, task: Task, max_file_bytes: int) -> Filled:
    """The final receipt of the form shaped by the request's action."""
    r, action = Reader(form), Action(task.request.action)
    outcome = r.code("outcome", "办理结果", Outcome, required=True)
    if outcome is not None and outcome not in FINAL_OUTCOMES[action]:
        outcome = r.fail("办理结果", "这个办理结果不适用于本协助事项，请重新选择。")
    reason = r.reason(outcome)
    assets: list[AssetResult] = []
    if action is Action.QUERY:
        assets = _assets(r)
        if outcome is Outcome.FOUND and not assets and not r.problems:
            r.fail("查询结果", "选择“已查到”时，请至少填写一项财产。")
        elif outcome is Outcome.NOT_FOUND and assets:
            r.fail("查询结果", "选择“未查到”时不能列出财产：请清空财产各栏，或改选“已查到”。")
    elif action is Action.LOCATE_PERSON:
        assets = _located(r, task, outcome)
    controls = _controls(r, action, list(task.request.items), outcome)
    return r.filled(
        SCAN, max_file_bytes, outcome=outcome, assets=tuple(assets), controls=tuple(controls), **reason
    )


def acknowledgement_form(form: FormData) -> Filled:
    """签收: an interim receipt (Final false, ACKNOWLEDGED); the task stays open."""
    return Reader(form).filled({}, 0, outcome=Outcome.ACKNOWLEDGED, final=False)


def objection_form(form: FormData, *, max_file_bytes: int) -> Filled:
    """异议: a final OBJECTED receipt; the standard requires the reason code, the form the text too."""
    r = Reader(form)
    reason = r.reason(Outcome.OBJECTED)
    if not r.raw("reason_text"):
        r.fail("异议理由", "请写明提出异议的理由。")
    kinds = {**SCAN, "objection_file": AttachmentType.OBJECTION}
    return r.filled(kinds, max_file_bytes, outcome=Outcome.OBJECTED, **reason)


def reportable(control: Control) -> bool:
    """Whether the task page offers a report of `control`'s later change: a waiting control, or a pre-seal
    in force (its conversion into a seal)."""
    return control.status == ControlStatus.WAITLISTED or (
        control.status == ControlStatus.ACTIVE and control.kind == Action.PRE_SEAL
    )


def report_form(form: FormData, *, control: Control, max_file_bytes: int) -> Filled:
    """A waiting control's later change: took effect (CONTROLLED, with the period registered), a new place
    in the queue (WAITLISTED, with it), part of the property disposed of by the court ahead (PARTIAL, the
    reason saying which part) or lapsed (UNABLE, with the reason), named by its RegistrationNo; or a
    pre-seal in force turned into a seal (CONTROLLED, under the seal's registration no. if it has its own,
    the period counted from the pre-seal) (hub/controls/receipted.py, STATE_CHANGES)."""
    r = Reader(form)
    asset = (AssetClass(control.asset_class), control.asset_id, control.registration_no)
    if r.raw("change") == "converted":
        return _conversion(r, control, max_file_bytes)
    if r.raw("change") == "queue":
        position = r.number("queue", "新的轮候顺位")
        if not r.raw("queue"):
            r.fail("新的轮候顺位", "请填写新的轮候顺位（1 表示排在第一位）。")
        fields = {
            "outcome": Outcome.WAITLISTED,
            "controls": (
                ControlEntry(*asset, control.period_start, control.period_end, queue_position=position),
            ),
        }
    elif r.raw("change") == "disposed":
        fields = {
            "outcome": Outcome.PARTIAL,
            "controls": (ControlEntry(*asset, control.period_start, control.period_end),),
            **r.reason(None, required=True),
        }
    elif r.raw("change") == "effective":
        start, end = r.period("", "实际登记的期限")
        fields: dict[str, Any] = {
            "outcome": Outcome.CONTROLLED,
            "controls": (ControlEntry(*asset, start, end),),
        }
    else:
        if r.raw("change") != "lapsed":
            r.fail("轮候变化", "请选择“轮候已生效”“轮候顺位变化”“部分财产已被处置”或“轮候已失效”。")
        fields = {
            "outcome": Outcome.UNABLE,
            "controls": (ControlEntry(*asset),),
            **r.reason(None, required=True),
        }
    return r.filled(SCAN, max_file_bytes, **fields)


def _conversion(r: Reader, control: Control, max_file_bytes: int) -> Filled:
    """The pre-seal `control` turned into a seal: the debtor is now the registered owner. A new registration
    no. names the seal when the registry gave it one; the unit's note goes in the Reason."""
    number = r.text("registration", "查封登记编号", limit=100) or control.registration_no
    start, end = r.period("", "查封期限")
    note = r.text("reason_text", "情况说明", limit=4000)
    entry = ControlEntry(AssetClass(control.asset_class), control.asset_id, number, start, end)
    reason = {"reason_code": ReasonCode.OTHER, "reason_text": note} if note else {}
    return r.filled(SCAN, max_file_bytes, outcome=Outcome.CONTROLLED, controls=(entry,), **reason)


def upload_form(
    form: FormData, *, max_document_bytes: int, max_file_bytes: int
) -> tuple[bytes | None, Filled]:
    """A receipt XML written elsewhere and the files it lists, taken as they are."""
    r, document = Reader(form), None
    part = form.get("document")
    if isinstance(part, UploadFile) and part.filename:
        document = r.file(part, "回执 XML", max_document_bytes)
    else:
        r.fail("回执 XML", "请选择回执 XML 文件。")
    files: dict[str, bytes] = {}
    for part in form.getlist("files"):
        if isinstance(part, UploadFile) and part.filename:
            name = re.split(r"[/\\]", part.filename)[-1]
            if name in files:
                r.fail("附件", f"文件 {name} 选了两次。")
            elif (data := r.file(part, f"附件 {name}", max_file_bytes)) is not None:
                files[name] = data
    return document, Filled({}, r.problems, files=files)


def defaults(who: dict[str, str], task: Task, controls: list[Control]) -> dict[str, dict[str, str]]:
    """Each form's values before anything is typed: the handler `who` (handler_name, handler_phone), the
    items' registration numbers, periods and amounts from the request."""
    receipt = dict(who)
    for i, item in enumerate(task.request.items):
        receipt |= {f"item-{i}-include": "on", f"item-{i}-registration": item.original_registration_no or ""}
        if item.period_start and item.period_end:
            receipt |= {f"item-{i}-start": f"{item.period_start}", f"item-{i}-end": f"{item.period_end}"}
        if item.amount is not None:
            receipt[f"item-{i}-amount"] = f"{item.amount:.2f}"
    forms = {"receipt": receipt, "ack": dict(who), "objection": dict(who), "upload": {}}
    for c in controls:
        period = (
            {"start": f"{c.period_start}", "end": f"{c.period_end}"}
            if c.period_start and c.period_end
            else {}
        )
        forms[f"control-{c.id}"] = {**who, **period, "reason_code": "ALREADY_TRANSFERRED"}
    return forms
