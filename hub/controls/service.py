"""Finding controls, scoped like everything else."""

from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.controls.states import ControlStatus
from hub.errors import Forbidden, NotFound
from hub.models import Control, Request, Unit

# Each chain of renewals once, as its current control: a renewed control (RENEWED) is carried on by its renewal.
CURRENT = Control.status != ControlStatus.RENEWED


def scope_controls(query: Select, principal: Principal) -> Select:
    """Limit a query over Control to a court's own, a unit's own, or all for an administrator."""
    if principal.is_court:
        return query.where(Control.court_code == principal.court_code)
    if principal.is_unit:
        return query.where(Control.unit_code == principal.unit_code)
    if principal.role != "admin":
        raise Forbidden("Your role cannot read controls.")
    return query


def visible_control(session: Session, *, principal: Principal, control_id: int) -> Control:
    """The control `control_id` if `principal` may see it; NotFound otherwise (never another court's data)."""
    control = session.execute(
        scope_controls(select(Control).where(Control.id == control_id), principal)
    ).scalar_one_or_none()
    if control is None:
        raise NotFound(f"There is no control {control_id} that you can see.")
    return control


def list_controls(
    session: Session,
    *,
    principal: Principal,
    status: str | None,
    unit_code: str | None,
    expiring_before: date | None,
    limit: int,
    offset: int,
) -> tuple[list[Control], int]:
    """Controls the caller may see: a court's own, a unit's own, or all for an administrator. A renewed
    control (RENEWED) is listed only when asked for by its status: its renewal carries it on, and a
    chain of renewals counts once."""
    query = scope_controls(select(Control), principal)
    query = query.where(Control.status == status.upper() if status else CURRENT)
    if unit_code:
        query = query.where(Control.unit_code == unit_code)
    if expiring_before:
        query = query.where(Control.period_end < expiring_before)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(Control.period_end, Control.id).limit(limit).offset(offset)
    ).scalars()
    return list(rows), total


def control_labels(session: Session, *, controls: list[Control]) -> tuple[dict[str, str], dict[int, str]]:
    """What a page shows beside `controls`: unit names by code, and RequestNo by request id."""
    unit_codes = {c.unit_code for c in controls}
    request_ids = {c.request_id for c in controls}
    units = dict(session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(unit_codes))).all())
    numbers = dict(
        session.execute(select(Request.id, Request.request_no).where(Request.id.in_(request_ids))).all()
    )
    return units, numbers


def control_units(session: Session, *, principal: Principal) -> list[tuple[str, str]]:
    """(code, name) of the units holding controls the caller may see, by name: a filter's choices."""
    codes = scope_controls(select(Control.unit_code).distinct(), principal)
    query = select(Unit.code, Unit.name).where(Unit.code.in_(codes)).order_by(Unit.name)
    return [(code, name) for code, name in session.execute(query)]
