"""The pages' templates (Jinja2, autoescaped) and the filters that write dates and codes as people read them."""

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hub.controls.states import IN_FORCE, LABELS, ControlStatus
from hub.standard.labels import (
    CHANNEL_NAMES,
    CODE_LISTS,
    DELIVERY_STATES,
    STATUS_NAMES,
    label_of,
)
from hub.standard.notice import chinese_date, chinese_instant, chinese_money
from hub.web.officer_access import delivery_note

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
TEMPLATES.env.filters.update(
    cn_date=lambda v: chinese_date(v) if v else "—",
    cn_instant=chinese_instant,
    cn_money=lambda v, currency="CNY": chinese_money(v, currency) if v is not None else "—",
)
TEMPLATES.env.globals.update(code_lists=CODE_LISTS)
TEMPLATES.env.filters["label"] = lambda code, code_list: label_of(code_list, code) if code else "—"

ROLE_NAMES = {
    "officer": "执行法官",
    "supervisor": "督办人",
    "admin": "系统管理员",
    "unit_staff": "协助单位经办人",
}
TEMPLATES.env.globals.update(role_names=ROLE_NAMES)

TEMPLATES.env.filters["status"] = lambda s: STATUS_NAMES.get(s, s)
TEMPLATES.env.filters["delivery_note"] = delivery_note  # never a delivery's last_error itself

# One name per state and channel on every page (templates read them as globals of the same names).
TEMPLATES.env.globals.update(
    control_states=LABELS, channel_names=CHANNEL_NAMES, delivery_states=DELIVERY_STATES
)
# Templates compare a control's status with these, never with a literal (hub/controls/states.py).
TEMPLATES.env.globals.update(ControlStatus=ControlStatus, controls_in_force=IN_FORCE)


def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    """Render template `name` with the signed-in user (request.state.user) and `context`."""
    context.setdefault("user", getattr(request.state, "user", None))
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
