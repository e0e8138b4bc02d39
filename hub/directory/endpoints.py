from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from hub.deps import PrincipalDep, SessionDep
from hub.errors import NotFound
from hub.models import Unit

router = APIRouter(prefix="/api/v1", tags=["units"])


class UnitOut(BaseModel):
    code: str
    name: str
    category: str
    actions: list[str]
    asset_classes: list[str]
    limits: dict[str, int]
    channel: str
    fallback: list[str]
    active: bool

    @classmethod
    def of(cls, unit: Unit) -> "UnitOut":
        return cls(
            code=unit.code,
            name=unit.name,
            category=unit.category,
            actions=unit.actions,
            asset_classes=unit.asset_classes,
            limits=unit.limits,
            channel=unit.channel["kind"],
            fallback=[c["kind"] for c in unit.fallback],
            active=unit.active,
        )


@router.get("/units", response_model=list[UnitOut])
def list_units(session: SessionDep, _: PrincipalDep) -> list[UnitOut]:
    """The member units, with the actions each performs and its time limits in working days."""
    return [UnitOut.of(u) for u in session.execute(select(Unit).order_by(Unit.code)).scalars()]


@router.get("/units/{unit_code}", response_model=UnitOut)
def get_unit(unit_code: str, session: SessionDep, _: PrincipalDep) -> UnitOut:
    unit = session.get(Unit, unit_code)
    if unit is None:
        raise NotFound(f"There is no unit {unit_code}.")
    return UnitOut.of(unit)
