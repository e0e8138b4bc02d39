"""Running an alert job: derive what is owed as of an instant, then one e-mail per recipient, exactly once."""

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.alerts import ledger
from hub.alerts.jobs import JOBS, Context
from hub.alerts.messages import compose
from hub.auth.service import Principal
from hub.calendar.service import load_calendar
from hub.clock import now
from hub.context import Hub
from hub.db import unit_of_work
from hub.mail import Mailer, MailError
from hub.models import Alert

log = logging.getLogger("hub.alerts")


@dataclass
class Run:
    job: str
    derived: int = 0  # new items owed
    sent: int = 0  # e-mails the server took
    refused: int = 0  # e-mails that never will go (a recipient refused for good)
    waiting: int = 0  # recipients left for the next run (the server is down)


def run_job(hub: Hub, name: str, *, at: datetime | None = None) -> Run:
    """Run job `name` as of `at` (default now): derive, then send. Safe in any number of processes."""
    job = JOBS[name]
    at = at or now()
    run = Run(name)
    with unit_of_work(hub.sessions) as session:
        ctx = Context(at=at, settings=hub.settings, calendar=load_calendar(session))
        run.derived = ledger.record_owed(session, job.derive(session, ctx))
    with unit_of_work(hub.sessions) as session:
        recipients = ledger.recipients_owed(session, job.kinds)
    mailer = Mailer(hub.settings)
    claimant = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    for i, recipient in enumerate(recipients):
        with unit_of_work(hub.sessions) as session:
            items = ledger.claim(session, kinds=job.kinds, recipient=recipient, claimant=claimant)
        if not items:
            continue  # another process has them
        with unit_of_work(hub.sessions) as session:
            composed = compose(session, ctx, job=name, items=items)
        message = mailer.compose(
            to=[recipient],
            subject=composed.subject,
            text=composed.text,
            html=composed.html,
            attachments=composed.attachments,
        )
        try:
            mailer.send(message)
        except MailError as exc:
            if exc.temporary:
                with unit_of_work(hub.sessions) as session:
                    ledger.release(session, items=items, claimant=claimant)
                run.waiting = len(recipients) - i
                log.warning(
                    "%s: the mail server did not take the alerts (tried at the next run): %s", name, exc
                )
                return run
            error = str(exc)
        else:
            error = None
        with unit_of_work(hub.sessions) as session:
            ledger.settle(
                session,
                items=items,
                claimant=claimant,
                job=name,
                subject=composed.subject,
                body_text=composed.text,
                message_id=message["Message-ID"],
                error=error,
            )
        if error:
            run.refused += 1
            log.warning("%s: %s refused for good: %s", name, recipient, error)
        else:
            run.sent += 1
    return run


def run_all(hub: Hub, *, at: datetime | None = None) -> list[Run]:
    """Every job, in order; one failing job does not stop the others."""
    runs = []
    for name in JOBS:
        try:
            runs.append(run_job(hub, name, at=at))
        except Exception:
            log.exception("alert job %s failed; the next tick tries again", name)
    return runs


def list_alerts(
    session: Session, *, principal: Principal, job: str | None, limit: int, offset: int
) -> tuple[list[Alert], int]:
    """The alerts sent, newest first, scoped: a court's users see their court's, a unit's staff their unit's."""
    query = select(Alert)
    if principal.role != "admin":
        if principal.is_court:
            query = query.where(Alert.court_code == principal.court_code)
        elif principal.is_unit:
            query = query.where(Alert.unit_code == principal.unit_code)
        else:
            query = query.where(False)
    if job:
        query = query.where(Alert.job == job)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Alert.id.desc()).limit(limit).offset(offset)).scalars()
    return list(rows), total
