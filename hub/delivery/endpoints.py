from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query

from hub.calendar.service import load_calendar
from hub.delivery.schemas import DeliveryOut
from hub.delivery.service import list_deliveries, serve_again, task_deliveries, visible_delivery
from hub.deps import HubDep, PrincipalDep, SessionDep
from hub.errors import Forbidden
from hub.requests.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["deliveries"])

Status = Literal["waiting", "running", "served", "failed", "cancelled"]


@router.get("/deliveries", response_model=Page[DeliveryOut])
def get_deliveries(
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[Status | None, Query(description="failed: a channel gave up on the task.")] = None,
    unit: Annotated[str | None, Query(description="Only this unit's deliveries.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[DeliveryOut]:
    """The delivery queue (administrators): every serving of a task through a channel, with its attempts."""
    rows, total = list_deliveries(
        session, principal=principal, status=status, unit_code=unit, limit=limit, offset=offset
    )
    return Page(items=[DeliveryOut.of(d, principal) for d in rows], total=total, limit=limit, offset=offset)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryOut)
def get_delivery(delivery_id: int, session: SessionDep, principal: PrincipalDep) -> DeliveryOut:
    return DeliveryOut.of(visible_delivery(session, principal=principal, delivery_id=delivery_id), principal)


@router.get("/tasks/{task_id}/deliveries", response_model=list[DeliveryOut])
def get_task_deliveries(task_id: int, session: SessionDep, principal: PrincipalDep) -> list[DeliveryOut]:
    """How a task was served: each channel tried, each attempt and why it failed (the channel's own words
    for administrators, the kind of failure and the unit's HTTP status for everyone else)."""
    return [
        DeliveryOut.of(d, principal) for d in task_deliveries(session, principal=principal, task_id=task_id)
    ]


@router.post("/deliveries/{delivery_id}/serve-again", response_model=DeliveryOut, status_code=201)
def post_serve_again(
    delivery_id: int, session: SessionDep, principal: PrincipalDep, hub: HubDep, background: BackgroundTasks
) -> DeliveryOut:
    """Serve the task of this delivery again on the same channel (administrators).

    Harmless to the unit: it receives the same task id and RequestNo. 409 when the task is closed or
    already has a delivery waiting or running.
    """
    if principal.role != "admin":
        raise Forbidden("Only administrators can serve a task again.")
    delivery = visible_delivery(session, principal=principal, delivery_id=delivery_id)
    again = serve_again(
        session,
        delivery=delivery,
        actor=principal.actor,
        settings=hub.settings,
        blobs=hub.blobs,
        calendar=load_calendar(session),
    )
    background.add_task(hub.wake)
    return DeliveryOut.of(again, principal)
