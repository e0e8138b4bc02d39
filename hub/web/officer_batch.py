"""The officer's batch of queries: a CSV of debtors read and checked line by line before anything is sent.

Columns (a header row first, in any order): 案号, 姓名/名称, 证件类型, 证件号码, and optionally 主体类型
(自然人 / 法人). UTF-8 (with or without BOM) or GB18030, which is what Excel in China saves.
A line's number is its line in the file, the header being line 1.
"""

import csv
import io
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from hub.auth.service import Principal
from hub.clock import now
from hub.db import unit_of_work
from hub.deps import HubDep
from hub.errors import HubError, Invalid
from hub.requests.service import Submission, next_request_no, officer_identity, submit_request
from hub.spreadsheet import ID_TYPE_NAMES, SUBJECT_KIND_NAMES, decoded
from hub.standard.codes import Action, IdType, SubjectKind
from hub.standard.labels import ID_TYPE_LABELS
from hub.standard.write_request import DocumentDraft, RequestDraft, SubjectDraft, write_request
from hub.standard.xml import DocumentError
from hub.web.deps import FormDep, WebUserDep
from hub.web.officer_access import officer_only, read_part, refusal, this_year
from hub.web.officer_form import id_problem, safe_filename
from hub.web.templating import page

MAX_LINES = 500
COLUMNS = {
    "case_no": ("案号",),
    "name": ("姓名/名称", "姓名／名称", "姓名", "名称", "被执行人", "被执行人姓名或名称"),
    "id_type": ("证件类型",),
    "id_number": ("证件号码", "证件号", "身份证号码", "统一社会信用代码"),
    "kind": ("主体类型", "类型"),
}


class BatchRefused(Exception):
    """The file as a whole cannot be read; the message is for the page."""


@dataclass
class DebtorLine:
    line: int
    case_no: str
    name: str
    id_type: str
    id_number: str
    kind: str
    problems: list[str] = field(default_factory=list)
    request_id: int | None = None
    request_no: str | None = None
    refused: str | None = None  # why the hub refused the line's request

    @property
    def id_type_label(self) -> str:
        known = {t.value: t for t in IdType}
        return ID_TYPE_LABELS[known[self.id_type]] if self.id_type in known else self.id_type


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) or else GB18030; anything else is refused."""
    try:
        return decoded(data)
    except UnicodeDecodeError:
        raise BatchRefused(
            "无法识别文件编码：请以 UTF-8 或 GB18030（Excel“CSV”格式）保存后再上传。"
        ) from None


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().replace(" ", "") for h in header]
    found = {}
    for key, accepted in COLUMNS.items():
        index = next((i for i, name in enumerate(names) if name in accepted), None)
        if index is not None:
            found[key] = index
    missing = [COLUMNS[key][0] for key in ("case_no", "name", "id_type", "id_number") if key not in found]
    if missing:
        raise BatchRefused(
            f"第 1 行应为表头，须有列：案号、姓名/名称、证件类型、证件号码；缺少：{'、'.join(missing)}。"
        )
    return found


def read_debtors(data: bytes) -> list[DebtorLine]:
    """Every debtor line of the file, each with its problems (empty when it can be sent)."""
    if not data.strip():
        raise BatchRefused("CSV 文件是空的。")
    reader = csv.reader(io.StringIO(decode(data), newline=""))
    try:
        header = next(reader)
        columns = _columns(header)
        lines, seen = [], {}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(lines) >= MAX_LINES:
                raise BatchRefused(f"一次最多 {MAX_LINES} 行，请把文件拆开上传。")
            lines.append(_line(reader.line_num, row, columns, seen))
    except csv.Error as exc:
        raise BatchRefused(f"第 {reader.line_num} 行不是有效的 CSV：{exc}") from None
    if not lines:
        raise BatchRefused("文件只有表头，没有被执行人。")
    return lines


def _line(
    number: int, row: list[str], columns: dict[str, int], seen: dict[tuple[str, str], int]
) -> DebtorLine:
    def cell(key: str) -> str:
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    type_text = cell("id_type").replace(" ", "")
    id_type = ID_TYPE_NAMES.get(type_text) or ID_TYPE_NAMES.get(type_text.upper())
    id_number = cell("id_number").replace(" ", "")
    if id_type in (IdType.RESIDENT_ID, IdType.USCC):
        id_number = id_number.upper()
    kind_text = cell("kind")
    kind = SUBJECT_KIND_NAMES.get(kind_text) or (
        SubjectKind.ORGANIZATION if id_type is IdType.USCC else SubjectKind.PERSON
    )
    line = DebtorLine(number, cell("case_no"), cell("name"), str(id_type or type_text), id_number, str(kind))
    if not line.case_no:
        line.problems.append("缺少案号。")
    if not line.name:
        line.problems.append("缺少姓名或名称。")
    if id_type is None:
        line.problems.append(
            f"证件类型“{type_text}”无法识别：请填居民身份证、统一社会信用代码、护照或其他证件。"
        )
    if kind_text and kind_text not in SUBJECT_KIND_NAMES:
        line.problems.append(f"主体类型“{kind_text}”无法识别：请填自然人或法人。")
    if id_type is IdType.USCC and kind is SubjectKind.PERSON:
        line.problems.append("自然人不能使用统一社会信用代码。")
    if id_type in (IdType.RESIDENT_ID, IdType.PASSPORT) and kind is SubjectKind.ORGANIZATION:
        line.problems.append(f"法人不能使用{ID_TYPE_LABELS[id_type]}。")
    if not id_number:
        line.problems.append("缺少证件号码。")
    elif id_type is not None and (why := id_problem(id_type, id_number)):
        line.problems.append(why)
    key = (line.case_no, id_number)
    if id_number and key in seen:
        line.problems.append(f"与第 {seen[key]} 行重复（同一案号、同一证件号码）。")
    elif id_number:
        seen[key] = number
    return line


# --- the pages -----------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


@router.get("/requests/batch", response_class=HTMLResponse)
def batch_form(request: Request, user: WebUserDep) -> Response:
    officer_only(user)
    return page(request, "officer/batch.html", error=None, lines=None, sent=False)


def _send_line(
    hub: HubDep, principal: Principal, line: DebtorLine, notice: DocumentDraft, data: bytes
) -> bool:
    """One debtor's QUERY to every capable unit, in a transaction of its own; True if tasks wait to be served."""
    try:
        with unit_of_work(hub.sessions) as session:
            identity = officer_identity(session, principal=principal)
            draft = RequestDraft(
                request_no=next_request_no(session, court_code=identity.court_code, year=this_year()),
                issued_at=now(),
                court_code=identity.court_code,
                court_name=identity.court_name,
                officer_name=identity.name,
                officer_credential_no=identity.credential_no,
                case_no=line.case_no,
                action=str(Action.QUERY),
                subject=SubjectDraft(line.kind, line.name, line.id_type, line.id_number),
                all_capable=True,
                documents=(notice,),
            )
            submission = Submission(write_request(draft), {notice.filename: data}, written_by_hub=True)
            accepted, _ = submit_request(
                session, settings=hub.settings, blobs=hub.blobs, principal=principal, submission=submission
            )
            line.request_id, line.request_no = accepted.id, accepted.request_no
            return any(t.status == "created" for t in accepted.tasks)
    except (DocumentError, HubError) as exc:
        line.refused = "；".join(p.message for p in refusal(exc))
        return False


@router.post("/requests/batch", response_class=HTMLResponse)
def batch_submit(request: Request, user: WebUserDep, hub: HubDep, form: FormDep) -> Response:
    """Check every line first; then, unless only a check was asked for, send the good lines one by one."""
    principal = officer_only(user)
    send = form.get("mode") == "send"
    try:
        data = read_part(form.get("csv"), hub.settings.max_document_bytes)
        if data is None:
            raise BatchRefused("请选择被执行人 CSV 文件。")
        notice_part = form.get("notice")
        notice_data = read_part(notice_part, hub.settings.max_file_bytes)
        if send and notice_data is None:
            raise BatchRefused("请上传协助查询通知书（NOTICE）：每一条查询都附这份文书。")
        lines = read_debtors(data)
    except (BatchRefused, Invalid) as exc:
        message = exc.message if isinstance(exc, Invalid) else str(exc)
        return page(request, "officer/batch.html", status_code=422, error=message, lines=None, sent=False)
    waiting = False
    if send and notice_data is not None and isinstance(notice_part, UploadFile):
        notice = DocumentDraft.of(
            "NOTICE", safe_filename(notice_part.filename or "", "notice.pdf"), notice_data
        )
        for line in lines:
            if not line.problems:
                waiting = _send_line(hub, principal, line, notice, notice_data) or waiting
    if waiting:
        hub.wake()
    return page(request, "officer/batch.html", error=None, lines=lines, sent=send)
