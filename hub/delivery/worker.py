"""The worker: serves due deliveries, takes receipts in from folders, tells staff of new tasks, runs the alerts.

It runs inside `hub serve` and alone as `hub worker`; any number of them may run over one database.
APScheduler only ticks (every HUB_TICK_S); the rows say what is due, and a claim makes it one worker's.
A submission wakes the worker of its process, so a push does not wait for the next tick.
"""

import logging
import os
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from adapters.base import Outcome, Refused, RetryLater, Served
from hub.alerts.service import run_all
from hub.calendar.service import load_calendar
from hub.clock import now
from hub.context import Hub
from hub.db import unit_of_work
from hub.delivery import intake
from hub.delivery.service import cancel_if_moot, channel_for, claim_due, delivery_for, serve_through, settle
from hub.models import DeliveryAttempt, QueuedDelivery, Task, Unit

log = logging.getLogger("hub.worker")
BATCH = 32
ALERTS_EVERY_S = 60


class Worker:
    """One process's worker. `tick()` does everything due now; `start()` ticks it in the background."""

    def __init__(self, hub: Hub, *, threads: int = 8) -> None:
        self.hub = hub
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.threads = threads
        self.scheduler: BaseScheduler | None = None
        self._again = threading.Event()
        self._ticking = threading.Event()
        self._alerts_due = 0.0

    def tick(self, at: datetime | None = None) -> int:
        """Run every delivery due at `at` (default: now), take in folder receipts, send inbox notices,
        and (at most every ALERTS_EVERY_S) the alert jobs.

        Returns the number of delivery attempts made. Safe to call from any number of processes.
        """
        made = 0
        while True:
            self._again.clear()
            made += self.run_deliveries(at)
            intake.take_folder_receipts(self.hub)
            intake.send_inbox_notices(self.hub, at=at)
            if not self._again.is_set():
                break
        if at is not None or time.monotonic() >= self._alerts_due:
            self._alerts_due = time.monotonic() + ALERTS_EVERY_S
            run_all(self.hub, at=at)
        return made

    def run_deliveries(self, at: datetime | None = None) -> int:
        made = 0
        with ThreadPoolExecutor(self.threads, thread_name_prefix="delivery") as pool:
            while True:
                with unit_of_work(self.hub.sessions) as session:
                    ids = claim_due(session, worker=self.name, at=at or now(), limit=BATCH)
                if not ids:
                    return made
                made += sum(pool.map(self.attempt, ids))

    def attempt(self, delivery_id: int) -> int:
        """Make one attempt of a claimed delivery; returns 1 when an adapter was called, else 0."""
        hub, started = self.hub, now()
        with unit_of_work(hub.sessions) as session:
            delivery = session.get(QueuedDelivery, delivery_id)
            if delivery is None or delivery.claimed_by != self.name or delivery.status != "running":
                return 0
            task = session.get(Task, delivery.task_id)
            unit = session.get(Unit, delivery.unit_code)
            assert task is not None and unit is not None
            if cancel_if_moot(delivery, task, at=started):
                return 0
            channel = channel_for(unit, delivery)
            parcel = delivery_for(task, unit=unit, blobs=hub.blobs, signer=hub.identity)
        outcome: Outcome
        if channel is None:  # the directory no longer lists this channel for the unit
            outcome = Refused(f"misconfigured: unit {unit.code} has no {delivery.kind} channel any more")
        else:
            try:
                outcome = serve_through(channel, parcel, settings=hub.settings)
            except Exception as exc:  # an adapter's bug must cost a retry, never the task
                log.exception("adapter %s failed on task %s", delivery.kind, task.id)
                outcome = RetryLater(0, f"the {delivery.kind} adapter failed: {exc!r}")
        with unit_of_work(hub.sessions) as session:
            delivery = session.get(QueuedDelivery, delivery_id, with_for_update=True)
            task = session.get(Task, delivery.task_id, with_for_update=True)
            unit = session.get(Unit, delivery.unit_code)
            if delivery.claimed_by != self.name or delivery.status != "running":
                # our lease ran out and another worker took the row: keep the attempt, change nothing else
                session.add(_late_attempt(delivery, outcome, worker=self.name, started=started))
                return 1
            attempt = settle(
                session,
                delivery=delivery,
                task=task,
                unit=unit,
                outcome=outcome,
                worker=self.name,
                started=started,
                settings=hub.settings,
                blobs=hub.blobs,
                calendar=load_calendar(session),
            )
        log.info("delivery %s of task %s via %s: %s", delivery_id, task.id, delivery.kind, attempt.outcome)
        if isinstance(outcome, Served) and outcome.receipt is not None:
            intake.take_answer(
                hub, task_id=task.id, unit=unit, document=outcome.receipt, attempt_id=attempt.id
            )
        return 1

    def wake(self) -> None:
        """Run a tick now (a submission queued work); a tick in progress goes round once more instead."""
        self._again.set()
        if not self._ticking.is_set() and self.scheduler is not None and self.scheduler.running:
            self.scheduler.modify_job("tick", next_run_time=datetime.now(self.scheduler.timezone))

    def start(self, scheduler: BaseScheduler | None = None) -> BaseScheduler:
        """Tick every HUB_TICK_S on `scheduler` (default: a background thread); returns it started."""
        self.scheduler = scheduler or BackgroundScheduler(timezone="Asia/Shanghai")
        self.scheduler.add_job(
            self._tick_logged,
            "interval",
            seconds=self.hub.settings.tick_s,
            id="tick",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(self.scheduler.timezone),
        )
        self.hub.wake = self.wake
        self.scheduler.start()
        return self.scheduler

    def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def _tick_logged(self) -> None:
        self._ticking.set()
        try:
            self.tick()
        except Exception:
            log.exception("worker tick failed; the next tick tries again")
        finally:
            self._ticking.clear()


def _late_attempt(
    delivery: QueuedDelivery, outcome: Outcome, *, worker: str, started: datetime
) -> DeliveryAttempt:
    return DeliveryAttempt(
        delivery_id=delivery.id,
        number=0,
        worker=worker,
        started_at=started,
        finished_at=now(),
        outcome="late",
        error=None if isinstance(outcome, Served) else outcome.error,
        note="the lease ran out before this attempt ended; another worker had taken the delivery",
    )
