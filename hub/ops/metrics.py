"""/metrics in the Prometheus text format: HTTP latency measured in this process, the domain from the database.

Each app has its own registry (never prometheus_client's global one), holding:

- hub_http_request_duration_seconds{method,route} and hub_http_responses_total{method,route,status}:
  this process's HTTP traffic, by route template (/api/v1/tasks/{task_id}, never the raw path;
  "unmatched" for a path no route serves), so the series stay few;
- the domain figures (hub/ops/figures.py), read from the database at scrape time and kept FIGURES_TTL_S
  seconds, so every process of a scaled-out hub reports the same numbers: hub_requests{action,status},
  hub_tasks_open{unit}, hub_tasks_overdue{unit}, hub_delivery_attempts_total{unit,channel,outcome},
  hub_deliveries_failed_total{unit,channel}, hub_alerts_total{job,status}, with hub_figures_up (0 when the
  database did not answer: the figures are then left out) and hub_figures_read_seconds;
- the process's own process_* figures (memory, CPU, open files).
"""

import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.clock import now
from hub.context import Hub
from hub.db import reading
from hub.ops.figures import Figures, read_figures
from hub.ops.logs import SERVING, Serving

log = logging.getLogger("hub.metrics")
FIGURES_TTL_S = 5.0
UNMATCHED = "unmatched"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Metrics:
    """One app's registry and its HTTP instruments."""

    def __init__(self, hub: Hub, *, figures_ttl_s: float = FIGURES_TTL_S) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "hub_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.responses = Counter(
            "hub_http_responses",
            "HTTP responses of this process, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(DomainCollector(hub, ttl_s=figures_ttl_s))
        ProcessCollector(registry=self.registry)

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.latency.labels(method, route).observe(seconds)
        self.responses.labels(method, route, str(status)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class Instrument:
    """ASGI middleware: times each HTTP request and counts its response under the route that served it.

    It also makes the request known to the log lines written while it is served (hub/ops/logs.py).
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app raised before starting a response

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        serving = SERVING.set(Serving(scope, started))
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            SERVING.reset(serving)
            self.metrics.observe(
                method=scope["method"],
                route=route_template(scope),
                status=status,
                seconds=time.perf_counter() - started,
            )


def route_template(scope: Scope) -> str:
    """The path template of the route that served `scope` (set by the router once it matched)."""
    return getattr(scope.get("route"), "path_format", None) or UNMATCHED


class DomainCollector(Collector):
    """The domain figures from the database, read at most once per `ttl_s` by one scrape at a time."""

    def __init__(self, hub: Hub, *, ttl_s: float) -> None:
        self.hub, self.ttl_s = hub, ttl_s
        self._lock = threading.Lock()
        self._families: list[Metric] = []
        self._fresh_until = 0.0

    def describe(self) -> Iterable[Metric]:
        return []  # nothing to read when the registry is built

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if time.monotonic() >= self._fresh_until:
                self._families = self._read()
                self._fresh_until = time.monotonic() + self.ttl_s
            return list(self._families)

    def _read(self) -> list[Metric]:
        started = time.perf_counter()
        up = GaugeMetricFamily("hub_figures_up", "1 when the domain figures were read from the database.")
        took = GaugeMetricFamily("hub_figures_read_seconds", "How long reading the domain figures took.")
        try:
            with reading(self.hub.readers) as session:  # no writer waits for these counts
                figures = read_figures(session, at=now())
        except Exception as exc:  # the database is down: say so, and the rest of /metrics still answers
            log.warning("the domain figures could not be read: %s", exc)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        took.add_metric([], time.perf_counter() - started)
        return [up, took, *families(figures)]


def families(figures: Figures) -> list[Metric]:
    requests = GaugeMetricFamily(
        "hub_requests",
        "Assistance requests in the database, by action and status.",
        labels=["action", "status"],
    )
    for action, status, n in figures.requests:
        requests.add_metric([action, status], n)
    open_tasks = GaugeMetricFamily("hub_tasks_open", "Open tasks of each unit.", labels=["unit"])
    for unit, n in sorted(figures.open_tasks.items()):
        open_tasks.add_metric([unit], n)
    overdue = GaugeMetricFamily(
        "hub_tasks_overdue", "Open tasks of each unit past their due instant.", labels=["unit"]
    )
    for unit, n in sorted(figures.overdue_tasks.items()):
        overdue.add_metric([unit], n)
    attempts = CounterMetricFamily(
        "hub_delivery_attempts",
        "Attempts to serve a task, by unit, channel kind and outcome (served, retry, refused, misconfigured, late).",
        labels=["unit", "channel", "outcome"],
    )
    for unit, channel, outcome, n in figures.delivery_attempts:
        attempts.add_metric([unit, channel, outcome], n)
    failed = CounterMetricFamily(
        "hub_deliveries_failed",
        "Deliveries given up on a channel after their attempts (the unit's fallback channel, if any, is next).",
        labels=["unit", "channel"],
    )
    for unit, channel, n in figures.failed_deliveries:
        failed.add_metric([unit, channel], n)
    alerts = CounterMetricFamily(
        "hub_alerts", "Alert e-mails, by job and status (sent, refused).", labels=["job", "status"]
    )
    for job, status, n in figures.alerts:
        alerts.add_metric([job, status], n)
    return [requests, open_tasks, overdue, attempts, failed, alerts]
