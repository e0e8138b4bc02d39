"""Who may use the officer's pages, and the small helpers they share."""

from starlette.datastructures import UploadFile

from hub.auth.service import Principal
from hub.clock import SHANGHAI, now
from hub.delivery.schemas import trouble
from hub.errors import Forbidden, HubError, Invalid, NotFound
from hub.limits import size_text
from hub.models import QueuedDelivery
from hub.standard.xml import DocumentError, Problem
from hub.web.session import SignedIn

READERS = ("officer", "supervisor", "admin")


def court_reader(user: SignedIn) -> Principal:
    """Courts' officers and supervisors read their court's requests (administrators all, as in the API)."""
    if user.principal.role not in READERS:
        raise Forbidden("此页面供法院用户使用：协助单位请在“待办任务”中办理。")
    return user.principal


def officer_only(user: SignedIn) -> Principal:
    """Only an enforcement officer sends and withdraws requests."""
    if user.principal.role != "officer" or user.principal.court_code is None:
        raise Forbidden("只有执行法官可以发起或撤回协助请求。")
    return user.principal


def request_not_found(request_id: int) -> NotFound:
    return NotFound(f"没有编号为 {request_id} 的请求，或您无权查看。")


def this_year() -> int:
    return now().astimezone(SHANGHAI).year


def refusal(exc: DocumentError | HubError) -> list[Problem]:
    """The problems of a refused document, or the refusal itself as one problem."""
    if isinstance(exc, DocumentError):
        return exc.problems
    return exc.details or [Problem(None, "/", exc.message)]


def read_part(part: object, limit: int) -> bytes | None:
    """The bytes of an uploaded file (None when no file was chosen); Invalid past `limit` bytes."""
    if not isinstance(part, UploadFile) or not part.filename:
        return None
    too_large = Invalid(f"文件 {part.filename} 超过 {size_text(limit)} 的上限。")
    if part.size is not None and part.size > limit:  # counted while the form was parsed: not read
        raise too_large
    data = part.file.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


# Why a delivery is not served, as the request's page says it (hub/delivery/schemas.py: trouble): the kind
# of failure and the unit's HTTP status, never the channel's own words (the unit's answer, a server's path).
DELIVERY_TROUBLES = {
    "retry": ("对方系统暂时无法接收{status}，平台将自动重试", "（HTTP {}）"),
    "exhausted": ("多次尝试未能送达{status}", "（HTTP {}）"),
    "refused": ("对方拒收{status}", "：HTTP {}"),
    "misconfigured": ("该单位的送达方式配置有误，需由系统管理员处理", ""),
}


def delivery_note(delivery: QueuedDelivery) -> str | None:
    found = trouble(delivery)
    if found is None:
        return None
    text, status = DELIVERY_TROUBLES[found[0]]
    return text.format(status=status.format(found[1]) if found[1] else "")
