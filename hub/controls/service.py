"""Finding controls, scoped like everything else."""

from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.errors import Forbidden, NotFound
from hub.models import Control


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
    """Controls the caller may see: a court's own, a unit's own, or all for an administrator."""
    query = scope_controls(select(Control), principal)
    if status:
        query = query.where(Control.status == status.upper())
    if unit_code:
        query = query.where(Control.unit_code == unit_code)
    if expiring_before:
        query = query.where(Control.period_end < expiring_before)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(Control.period_end, Control.id).limit(limit).offset(offset)
    ).scalars()
    return list(rows), total
