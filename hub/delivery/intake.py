"""What comes back through the channels, and what the inbox owes the staff.

- An answer a unit gave at once (http-push) is applied as that unit's receipt.
- Receipt files dropped into a folder channel's inbox are applied and moved to done/ or rejected/.
- Units whose tasks arrived in the inbox get one e-mail per batch (never one per task).

Receipts are applied by receipts/ exactly as if the unit had posted them through the API, acting as the
unit's system account.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import and_, or_, select, update

from adapters.base import Dropped
from hub.auth.service import principal, unit_system_user
from hub.clock import now
from hub.context import Hub
from hub.db import unit_of_work
from hub.delivery.service import channels_of, make_adapter
from hub.errors import HubError
from hub.mail import Mailer, MailError
from hub.models import DeliveryAttempt, QueuedDelivery, Request, Task, Unit
from hub.requests.service import Submission
from hub.standard.codes import Action
from hub.standard.labels import label
from hub.standard.notice import chinese_instant
from hub.standard.rules import inspect
from hub.standard.xml import DocumentError
from receipts.service import submit_receipt

log = logging.getLogger("hub.worker")
NOTICE_LEASE = timedelta(minutes=5)


def refusal(exc: Exception) -> str:
    """A refused document's error as one text: the message, then each problem with its line and path."""
    if isinstance(exc, DocumentError):
        return "\n".join(str(p) for p in exc.problems)
    if isinstance(exc, HubError):
        return "\n".join([exc.message, *(str(p) for p in exc.details)])
    return str(exc)


def apply_receipt(hub: Hub, *, unit: Unit, task_id: int, submission: Submission) -> None:
    """Apply a receipt that a channel brought, as the unit's system. Raises as the API would refuse it."""
    with unit_of_work(hub.sessions) as session:
        user = unit_system_user(session, unit_code=unit.code, unit_name=unit.name)
        submit_receipt(session, settings=hub.settings, blobs=hub.blobs, principal=principal(user),
                       task_id=task_id, submission=submission)  # fmt: skip


def take_answer(hub: Hub, *, task_id: int, unit: Unit, document: bytes, attempt_id: int) -> bool:
    """Apply a receipt a unit answered with at once; a refused one is noted on the attempt."""
    try:
        apply_receipt(hub, unit=unit, task_id=task_id, submission=Submission(document))
        return True
    except (HubError, DocumentError) as exc:
        note = f"the unit's answer was not taken as a receipt:\n{refusal(exc)}"
        log.warning("task %s: %s", task_id, note)
        with unit_of_work(hub.sessions) as session:
            session.get(DeliveryAttempt, attempt_id).note = note
        return False


def take_folder_receipts(hub: Hub) -> int:
    """Apply every receipt file waiting in the folder channels' inboxes; returns how many were taken."""
    with unit_of_work(hub.sessions) as session:
        units = [
            u
            for u in session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)).scalars()
            if any(c["kind"] == "folder" for c in channels_of(u))
        ]
    taken = 0
    for unit in units:
        for channel in (c for c in channels_of(unit) if c["kind"] == "folder"):
            try:
                adapter = make_adapter(channel, settings=hub.settings)
                for dropped in adapter.collect():
                    error = _take_dropped(hub, unit=unit, dropped=dropped)
                    adapter.file_away(dropped, error=error)
                    taken += error is None
            except Exception:  # one unit's folder (a share gone, a planted name) stops no other's intake
                log.exception(
                    "unit %s: its folder inbox %s could not be read", unit.code, channel.get("inbox")
                )
    return taken


def _take_dropped(hub: Hub, *, unit: Unit, dropped: Dropped) -> str | None:
    """Apply one dropped receipt; the reason it was refused, or None."""
    try:
        receipt = inspect(
            dropped.document, expect="receipt", max_bytes=hub.settings.max_document_bytes
        ).receipt
        with unit_of_work(hub.sessions) as session:
            task_ids = (
                session.execute(
                    select(Task.id)
                    .join(Request, Request.id == Task.request_id)
                    .where(Task.unit_code == unit.code, Request.request_no == receipt.request_no)
                )
                .scalars()
                .all()
            )
        if len(task_ids) != 1:
            return (
                f"RequestNo {receipt.request_no}: unit {unit.code} has no task for it"
                if not task_ids
                else f"RequestNo {receipt.request_no} names {len(task_ids)} tasks of unit {unit.code}"
            )
        apply_receipt(
            hub, unit=unit, task_id=task_ids[0], submission=Submission(dropped.document, dropped.files)
        )
    except (HubError, DocumentError) as exc:
        return refusal(exc)
    return None


def _claim_notices(hub: Hub, *, at: datetime) -> dict[str, list[int]]:
    """Claim the inbox deliveries whose notice is owed; delivery ids per unit."""
    owed = and_(
        QueuedDelivery.notice_due_at.is_not(None),
        or_(QueuedDelivery.notice_claimed_until.is_(None), QueuedDelivery.notice_claimed_until < at),
    )
    with unit_of_work(hub.sessions) as session:
        ids = (
            session.execute(
                select(QueuedDelivery.id).where(owed).limit(5000).with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        if not ids:
            return {}
        rows = session.execute(
            update(QueuedDelivery)
            .where(QueuedDelivery.id.in_(ids), owed)
            .values(notice_claimed_until=at + NOTICE_LEASE)
            .returning(QueuedDelivery.id, QueuedDelivery.unit_code)
        ).all()
    claimed: dict[str, list[int]] = defaultdict(list)
    for delivery_id, unit_code in rows:
        claimed[unit_code].append(delivery_id)
    return claimed


def send_inbox_notices(hub: Hub, *, at: datetime | None = None) -> int:
    """E-mail each unit's staff once about the tasks that arrived in its inbox; returns e-mails sent.

    A notice is marked sent only after the SMTP server accepted it; one that failed is claimed again
    after NOTICE_LEASE.
    """
    sent = 0
    mailer = Mailer(hub.settings)
    for unit_code, delivery_ids in _claim_notices(hub, at=at or now()).items():
        with unit_of_work(hub.sessions) as session:
            unit = session.get(Unit, unit_code)
            tasks = (
                session.execute(
                    select(Task)
                    .join(QueuedDelivery, QueuedDelivery.task_id == Task.id)
                    .where(QueuedDelivery.id.in_(delivery_ids), Task.status.in_(("served", "acknowledged")))
                    .order_by(Task.due_at, Task.id)
                )
                .scalars()
                .all()
            )
            message = _inbox_notice(mailer, unit=unit, tasks=list(tasks), public_url=hub.settings.public_url)
        if message is not None:
            try:
                mailer.send(message)
            except MailError as exc:
                log.warning("inbox notice to %s not sent (tried again later): %s", unit_code, exc)
                if exc.temporary:
                    break  # the server is down or busy: the other units' notices wait for it too
                continue
            sent += 1
        with unit_of_work(hub.sessions) as session:
            session.execute(
                update(QueuedDelivery)
                .where(QueuedDelivery.id.in_(delivery_ids))
                .values(notice_due_at=None, notice_claimed_until=None, notice_sent_at=now())
            )
    return sent


def _inbox_notice(mailer: Mailer, *, unit: Unit, tasks: list[Task], public_url: str) -> EmailMessage | None:
    """One e-mail listing the new tasks, soonest due first; None when none is still open."""
    if not tasks:
        return None
    link = f"{public_url.rstrip('/')}/inbox"
    lines = [
        f"{i}. {label(Action(t.request.action))} {t.request.request_no}（{t.request.case_no}），"
        f"被执行人 {t.request.subject_name}，办理期限 {chinese_instant(t.due_at)}，事项编号 {t.id}"
        for i, t in enumerate(tasks, start=1)
    ]
    text = "\n".join(
        [
            f"{unit.name}：",
            "",
            f"执行联动协作平台有 {len(tasks)} 件新的协助事项需要贵单位办理：",
            "",
            *lines,
            "",
            f"请登录平台办理并上传回执：{link}",
            "此邮件由平台自动发送，请勿直接回复。",
        ]
    )
    return mailer.compose(
        to=list(unit.contacts["staff"]),
        subject=f"【执行联动】{unit.name}有 {len(tasks)} 件新的协助事项",
        text=text,
    )
