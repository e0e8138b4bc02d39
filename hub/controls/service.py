"""Finding controls, scoped like everything else."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.errors import Forbidden
from hub.models import Control


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
    query = select(Control)
    if principal.is_court:
        query = query.where(Control.court_code == principal.court_code)
    elif principal.is_unit:
        query = query.where(Control.unit_code == principal.unit_code)
    elif principal.role != "admin":
        raise Forbidden("Your role cannot read controls.")
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
