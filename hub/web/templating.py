"""The pages' templates (Jinja2, autoescaped) and the filters that write dates and codes as people read them."""

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hub.standard.labels import CODE_LISTS, label_of
from hub.standard.notice import chinese_date, chinese_instant, chinese_money

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

STATUS_NAMES = {
    "created": "待送达",
    "served": "已送达",
    "acknowledged": "已签收",
    "completed": "已办结",
    "objected": "已提出异议",
    "cancelled": "已撤回",
    "open": "办理中",
    "done": "已完成",
}
TEMPLATES.env.filters["status"] = lambda s: STATUS_NAMES.get(s, s)

# One name per state and channel on every page (templates read them as globals of the same names).
CONTROL_STATES = {
    "ACTIVE": "生效中",
    "WAITLISTED": "轮候中",
    "RELEASED": "已解除",
    "EXPIRED": "已到期",
    "LAPSED": "已失效",
}
CHANNEL_NAMES = {
    "inbox": "平台待办箱",
    "http-push": "接口推送",
    "email": "电子邮件",
    "folder": "文件交换目录",
}
DELIVERY_STATES = {
    "failed": "送达失败",
    "waiting": "等待送达",
    "running": "正在送达",
    "served": "已送达",
    "cancelled": "已取消",
}
TEMPLATES.env.globals.update(
    control_states=CONTROL_STATES, channel_names=CHANNEL_NAMES, delivery_states=DELIVERY_STATES
)


def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    """Render template `name` with the signed-in user (request.state.user) and `context`."""
    context.setdefault("user", getattr(request.state, "user", None))
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
