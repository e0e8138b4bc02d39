"""The officer's request form: what he typed, checked as input, made into a RequestDraft, and the hub's
problems with the document put back next to the fields they concern.

The checks here are about input (a field left empty, an amount or date that is not one, an ID number's
check digit): the rules of the standard stay in hub.standard and the services, which judge the XML.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath

from starlette.datastructures import FormData, UploadFile

from hub.requests.service import OfficerIdentity
from hub.standard.codes import (
    ALL_CAPABLE_ACTIONS,
    ITEM_ACTIONS,
    ORIGINAL_ACTIONS,
    PERIOD_ACTIONS,
    REQUIRED_DOCUMENTS,
    TRANSFEREE_ACTIONS,
    Action,
    AssetClass,
    DocumentType,
    IdType,
    SubjectKind,
)
from hub.standard.ids import resident_id_problem, uscc_problem
from hub.standard.labels import ACTION_LABELS, DOCUMENT_TYPE_LABELS, ID_TYPE_LABELS
from hub.standard.rules import ORGANIZATION_ID_TYPES, PERSON_ID_TYPES
from hub.standard.write_request import DocumentDraft, ItemDraft, RequestDraft, SubjectDraft, TransfereeDraft
from hub.standard.xml import Problem
from hub.web.officer_access import size_text
from hub.web.officer_messages import in_chinese

FIELDS = (
    "request_no",
    "case_no",
    "action",
    "subject_kind",
    "subject_name",
    "id_type",
    "id_number",
    "remarks",
)
ITEM_FIELDS = (
    "asset_class",
    "asset_id",
    "description",
    "amount",
    "start",
    "end",
    "custodian",
    "use",
    "original_no",
    "registration_no",
    "transferee_kind",
    "transferee_name",
    "transferee_id_type",
    "transferee_id_number",
    "transferee_share",
)
# fields a blank item row still has filled in: the choices the form preselects
PRESET_ITEM_FIELDS = frozenset({"asset_class", "transferee_kind", "transferee_id_type"})
FLEXIBLE_ACTIONS = frozenset({Action.SEAL, Action.SEIZE})
REQUEST_NO = re.compile(r"[A-Za-z0-9-]{6,40}")
SHA256 = re.compile(r"[0-9a-f]{64}")
DOCUMENT_TYPES = frozenset(t.value for t in DocumentType)
ID_TYPES = frozenset(t.value for t in IdType)
ASSET_CLASSES = frozenset(c.value for c in AssetClass)
FIELD_LABELS = {
    "request_no": "请求编号",
    "case_no": "案号",
    "action": "请求类型",
    "subject_name": "被执行人姓名或名称",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "targets": "协助单位",
    "items": "财产项目",
    "documents": "法律文书",
    "remarks": "备注",
    "general": "请求",
}
ITEM_LABELS = {
    "asset_class": "财产类别",
    "asset_id": "财产标识",
    "description": "说明",
    "amount": "金额",
    "period": "期限",
    "flexible": "活封",
    "original": "原措施",
    "transferee": "受让人",
}


@dataclass
class Upload:
    type: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class Kept:
    """A file sent with an earlier, refused try of this form, held in the store under its sha256."""

    type: str
    filename: str
    sha256: str

    @property
    def token(self) -> str:
        return f"{self.type}:{self.sha256}:{self.filename}"


@dataclass
class RequestForm:
    values: dict[str, str]
    items: list[dict[str, str]]  # the rows that are not blank, in order: item k of the XML is row k
    targets: list[str]
    all_capable: bool
    uploads: list[Upload]
    kept: list[Kept]
    auto_no: str
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    @property
    def action(self) -> Action | None:
        try:
            return Action(self.values["action"])
        except ValueError:
            return None

    def problems(self) -> list[tuple[str, str]]:
        """Every error with the label of its field, for the list above the form."""
        listed = []
        for key, messages in self.errors.items():
            if key.startswith("item-"):
                _, row, *sub = key.split("-", 2)
                where = f"第 {int(row) + 1} 项财产" + (
                    f"（{ITEM_LABELS.get(sub[0], sub[0])}）" if sub else ""
                )
            else:
                where = FIELD_LABELS.get(key, key)
            listed += [(where, message) for message in messages]
        return listed


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def safe_filename(name: str, fallback: str) -> str:
    """The file's own name, as the standard allows it: no folder, no leading dot or space, 120 characters."""
    name = PurePosixPath(name.replace("\\", "/")).name.lstrip(". \t")
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: 119 - len(suffix)] + dot + suffix) if dot and len(suffix) < 10 else name[:120]
    return name or fallback


def blank_form(*, action: str = "QUERY", auto_no: str = "") -> RequestForm:
    values = dict.fromkeys(FIELDS, "")
    values.update(action=action, subject_kind="person", id_type="RESIDENT_ID")
    return RequestForm(values, [], [], False, [], [], auto_no)


TYPED_IDS = (IdType.RESIDENT_ID, IdType.USCC, IdType.PASSPORT)


def typed_id(id_type: str, number: str) -> str:
    """An ID number as registries hold it: characters a Chinese input method types full-width (２, Ｘ) made
    half-width (NFKC), spaces taken out, letters upper-case. Other kinds of document are kept as typed."""
    if id_type not in TYPED_IDS:
        return number
    return unicodedata.normalize("NFKC", number).replace(" ", "").upper()


def read_form(form: FormData, *, max_file_bytes: int) -> RequestForm:
    """The form as typed, with its files read; a file too large or without a type is an error already."""
    typed = RequestForm(
        values={name: _text(form, name) for name in FIELDS},
        items=[],
        targets=[v for v in form.getlist("targets") if isinstance(v, str)],
        all_capable=_text(form, "all_capable") == "1",
        uploads=[],
        kept=[],
        auto_no=_text(form, "auto_no"),
    )
    rows = sorted({int(m.group(1)) for key in form if (m := re.fullmatch(r"item-(\d+)-\w+", key))})
    for row in rows:
        values = {name: _text(form, f"item-{row}-{name}") for name in ITEM_FIELDS}
        if any(value for name, value in values.items() if name not in PRESET_ITEM_FIELDS):
            values["transferee_id_number"] = typed_id(
                values["transferee_id_type"], values["transferee_id_number"]
            )
            typed.items.append(values)
    typed.values["id_number"] = typed_id(typed.values["id_type"], typed.values["id_number"])
    for value in form.getlist("kept"):
        parts = value.split(":", 2) if isinstance(value, str) else []
        if len(parts) == 3 and parts[0] in DOCUMENT_TYPES and SHA256.fullmatch(parts[1]):
            typed.kept.append(Kept(parts[0], safe_filename(parts[2], "document"), parts[1]))
    slots = sorted({int(m.group(1)) for key in form if (m := re.fullmatch(r"doc-(\d+)-file", key))})
    for slot in slots:
        part, kind = form.get(f"doc-{slot}-file"), _text(form, f"doc-{slot}-type")
        if not isinstance(part, UploadFile) or not part.filename:
            continue
        data = part.file.read(max_file_bytes + 1)
        if len(data) > max_file_bytes:
            typed.add("documents", f"文件 {part.filename} 超过 {size_text(max_file_bytes)} 的上限。")
        elif kind not in DOCUMENT_TYPES:
            typed.add("documents", f"请为文件 {part.filename} 选择文书类型。")
        else:
            name = safe_filename(part.filename, f"{kind.lower()}-{slot + 1}")
            typed.kept = [k for k in typed.kept if k.filename != name]  # a new file of that name replaces it
            typed.uploads.append(Upload(kind, name, data))
    return typed


def id_problem(id_type: str, number: str) -> str | None:
    if id_type == IdType.RESIDENT_ID:
        why = resident_id_problem(number)
        if why is None:
            return None
        if why.startswith("wrong check digit"):
            expected = why.split("expected ")[1].split()[0]
            return f"身份证号码校验位不正确：末位是 {number[-1]}，按前 17 位应为 {expected}，请核对。"
        if "birth date" in why:
            return f"身份证号码中的出生日期 {number[6:14]} 不存在，请核对。"
        return "居民身份证号码应为 18 位：17 位数字加 1 位校验码（0-9 或 X）。"
    if id_type == IdType.USCC:
        why = uscc_problem(number)
        if why is None:
            return None
        if why.startswith("wrong check character"):
            expected = why.split("expected ")[1].split()[0]
            return f"统一社会信用代码校验码不正确：末位是 {number[-1]}，按前 17 位应为 {expected}，请核对。"
        return "统一社会信用代码应为 18 位，由数字和大写字母组成（不含 I、O、Z、S、V）。"
    return None


def _amount(text: str) -> Decimal | str:
    try:
        value = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return "金额应为数字，如 50000.00。"
    if not value.is_finite() or value <= 0:
        return "金额应大于 0。"
    if value != value.quantize(Decimal("0.01")):
        return "金额最多保留两位小数。"
    return value


def _date(text: str) -> date | str:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return "日期应写作 2026-11-27。"


def check(typed: RequestForm) -> None:
    """Input errors, in Chinese, next to their fields: the hub judges the rest when the XML arrives."""
    values, action = typed.values, typed.action
    if action is None:
        typed.add("action", "请选择请求类型。")
    if values["request_no"] and not REQUEST_NO.fullmatch(values["request_no"]):
        typed.add("request_no", "请求编号为 6 至 40 位字母、数字或“-”；留空则由平台自动编号。")
    if not values["case_no"]:
        typed.add("case_no", "请填写案号，如（2026）吉2426执123号。")
    if not values["subject_name"]:
        typed.add("subject_name", "请填写被执行人姓名或名称。")
    type_problem, number_problem = identity_problems(
        values["subject_kind"], values["id_type"], values["id_number"]
    )
    if type_problem:
        typed.add("id_type", type_problem)
    if number_problem:
        typed.add("id_number", number_problem)
    if not (typed.all_capable and action in ALL_CAPABLE_ACTIONS) and not typed.targets:
        typed.add("targets", "请选择至少一个协助单位。")
    if action is None:
        return
    if action in ITEM_ACTIONS and not typed.items:
        typed.add("items", f"{ACTION_LABELS[action]}请求须列明至少一项财产。")
    for row, item in enumerate(typed.items if action in ITEM_ACTIONS else []):
        if item["asset_class"] not in ASSET_CLASSES:
            typed.add(f"item-{row}-asset_class", "请选择财产类别。")
        if not item["asset_id"]:
            typed.add(f"item-{row}-asset_id", "请填写财产标识（不动产单元号、号牌号码、账号或保单号）。")
        if item["amount"] and isinstance(why := _amount(item["amount"]), str):
            typed.add(f"item-{row}-amount", why)
        for name in ("start", "end") if action in PERIOD_ACTIONS else ():
            if item[name] and isinstance(why := _date(item[name]), str):
                typed.add(f"item-{row}-period", why)
        if action in TRANSFEREE_ACTIONS:
            for why in _transferee_problems(item):
                typed.add(f"item-{row}-transferee", why)
    listed = {u.type for u in typed.uploads} | {k.type for k in typed.kept}
    missing = [DOCUMENT_TYPE_LABELS[t] for t in sorted(REQUIRED_DOCUMENTS[action] - listed)]
    if missing:
        typed.add("documents", f"{ACTION_LABELS[action]}请求须附{'和'.join(missing)}。")
    names = [u.filename for u in typed.uploads] + [k.filename for k in typed.kept]
    for name in sorted({n for n in names if names.count(n) > 1}):
        typed.add("documents", f"有两个文件都叫 {name}：请改名后再上传。")
    if len(values["remarks"]) > 4000:
        typed.add("remarks", "备注最多 4000 字。")


def identity_problems(kind: str, id_type: str, number: str, who: str = "") -> tuple[str | None, str | None]:
    """What is wrong with the ID type (for a person or an organization `kind`) and with the number of the
    debtor, or of `who` ("受让人"), as typed: (the type's problem, the number's problem)."""
    type_problem = number_problem = None
    allowed = ORGANIZATION_ID_TYPES if kind == SubjectKind.ORGANIZATION else PERSON_ID_TYPES
    if id_type not in ID_TYPES:
        type_problem = f"请选择{who and who + '的'}证件类型。"
    elif IdType(id_type) not in allowed:
        type_problem = f"{'法人' if kind == 'organization' else '自然人'}{who}不能使用{ID_TYPE_LABELS[IdType(id_type)]}。"
    if not number:
        number_problem = f"请填写{who and who + '的'}证件号码。"
    elif why := id_problem(id_type, number):
        number_problem = who + why
    return type_problem, number_problem


def _transferee_problems(item: dict[str, str]) -> list[str]:
    """The transferee of a TRANSFER row as typed: a name, an ID type fit for his kind, a valid number, a share."""
    problems = [] if item["transferee_name"] else ["请填写受让人（买受人或承受人）的姓名或名称。"]
    kind, id_type, number = item["transferee_kind"], item["transferee_id_type"], item["transferee_id_number"]
    problems += [p for p in identity_problems(kind, id_type, number, "受让人") if p]
    if item["transferee_share"] and not re.fullmatch(r"\d+/\d+", item["transferee_share"]):
        problems.append("受让份额请写成 1/2 这样的分数，或留空。")
    return problems


def _item(item: dict[str, str], action: Action) -> ItemDraft:
    amount = _amount(item["amount"]) if item["amount"] else None
    periodic, original = action in PERIOD_ACTIONS, action in ORIGINAL_ACTIONS
    flexible = action in FLEXIBLE_ACTIONS
    transferees = ()
    if action in TRANSFEREE_ACTIONS:
        number = item["transferee_id_number"]
        transferees = (
            TransfereeDraft(
                item["transferee_kind"] or SubjectKind.PERSON,
                item["transferee_name"],
                item["transferee_id_type"],
                number,
                share=item["transferee_share"] or None,
            ),
        )
    return ItemDraft(
        asset_class=item["asset_class"],
        asset_id=item["asset_id"],
        description=item["description"] or None,
        amount=amount if isinstance(amount, Decimal) else None,
        period_start=date.fromisoformat(item["start"]) if periodic and item["start"] else None,
        period_end=date.fromisoformat(item["end"]) if periodic and item["end"] else None,
        flexible_custodian=(item["custodian"] or None) if flexible else None,
        flexible_use=(item["use"] or None) if flexible else None,
        original_request_no=(item["original_no"] or None) if original else None,
        original_registration_no=(item["registration_no"] or None) if original else None,
        transferees=transferees,
    )


def to_draft(
    typed: RequestForm, *, identity: OfficerIdentity, request_no: str, issued_at: datetime
) -> RequestDraft:
    """The draft of a form that passed `check`. Fields the action does not take are left out."""
    action = Action(typed.values["action"])
    all_capable = typed.all_capable and action in ALL_CAPABLE_ACTIONS
    values = typed.values
    return RequestDraft(
        request_no=request_no,
        issued_at=issued_at,
        court_code=identity.court_code,
        court_name=identity.court_name,
        officer_name=identity.name,
        officer_credential_no=identity.credential_no,
        case_no=values["case_no"],
        action=str(action),
        subject=SubjectDraft(
            values["subject_kind"], values["subject_name"], values["id_type"], values["id_number"]
        ),
        targets=() if all_capable else tuple(typed.targets),
        all_capable=all_capable,
        items=tuple(_item(item, action) for item in typed.items) if action in ITEM_ACTIONS else (),
        documents=tuple(DocumentDraft.of(u.type, u.filename, u.data) for u in typed.uploads)
        + tuple(DocumentDraft(k.type, k.filename, k.sha256) for k in typed.kept),
        remarks=values["remarks"] or None,
    )


_TOP = {
    "RequestNo": "request_no",
    "CaseNo": "case_no",
    "Action": "action",
    "Targets": "targets",
    "Items": "items",
    "Documents": "documents",
    "Remarks": "remarks",
}
_ITEM = {
    "AssetClass": "asset_class",
    "AssetId": "asset_id",
    "Description": "description",
    "Amount": "amount",
    "Period": "period",
    "Flexible": "flexible",
    "Original": "original",
    "Transferee": "transferee",
}


def field_of(problem: Problem) -> str:
    """The form field a problem with the written XML concerns, read from its element path."""
    parts = [p for p in problem.path.split("/") if p][1:]  # without AssistanceRequest
    if not parts:
        return "general"
    top = parts[0]
    if top == "Subject":
        leaf = parts[1] if len(parts) > 1 else ""
        if leaf == "Name":
            return "subject_name"
        return "id_type" if leaf == "IdType" or "IdType" in problem.message else "id_number"
    if top == "Items" and len(parts) > 1:
        match = re.fullmatch(r"Item(?:\[(\d+)\])?", parts[1])
        row = int(match.group(1) or 1) - 1 if match else 0
        sub = _ITEM.get(re.sub(r"\[\d+\]$", "", parts[2])) if len(parts) > 2 else None
        return f"item-{row}-{sub}" if sub else f"item-{row}"
    if top == "Action" and "<Items>" in problem.message:
        return "items"
    return _TOP.get(top, "general")


def place_problems(typed: RequestForm, problems: list[Problem]) -> None:
    for problem in problems:
        typed.add(field_of(problem), in_chinese(problem.message))
