from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from hub.alerts.jobs import JOBS
from hub.alerts.service import list_alerts
from hub.clock import Instant
from hub.deps import PrincipalDep, SessionDep
from hub.models import Alert
from hub.requests.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["alerts"])


class AlertItemOut(BaseModel):
    kind: str
    entity: str
    entity_id: str
    variant: str


class AlertOut(BaseModel):
    id: int
    job: str
    recipient: str
    court_code: str | None
    unit_code: str | None
    subject: str
    status: str
    error: str | None
    sent_at: Instant
    items: list[AlertItemOut]

    @classmethod
    def of(cls, alert: Alert) -> "AlertOut":
        items = [
            AlertItemOut(kind=i.kind, entity=i.entity, entity_id=i.entity_id, variant=i.variant)
            for i in alert.items
        ]
        return cls(
            id=alert.id,
            job=alert.job,
            recipient=alert.recipient,
            court_code=alert.court_code,
            unit_code=alert.unit_code,
            subject=alert.subject,
            status=alert.status,
            error=alert.error,
            sent_at=alert.sent_at,
            items=items,
        )


@router.get("/alerts", response_model=Page[AlertOut])
def get_alerts(
    session: SessionDep,
    principal: PrincipalDep,
    job: Annotated[str | None, Query(description=f"One of: {', '.join(JOBS)}.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[AlertOut]:
    """The alerts e-mailed: to whom, when, and the tasks or controls each covered. A court's users see
    their court's alerts, a unit's staff their unit's, administrators all."""
    rows, total = list_alerts(session, principal=principal, job=job, limit=limit, offset=offset)
    return Page(items=[AlertOut.of(a) for a in rows], total=total, limit=limit, offset=offset)
