"""The table `make bench` prints (rich) and writes (Markdown): one row per figure, with its target."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.table import Table

from bench.supervision import PERIODS
from hub.clock import SHANGHAI

if TYPE_CHECKING:
    from bench.run import Config


@dataclass
class Row:
    number: str
    figure: str
    measured: str
    reference: str
    target: str
    verdict: str  # "met ...", "NOT met ...", or "" for a figure shown without a target
    note: str = ""
    values: tuple[float, ...] = ()  # the numbers measured (all must be positive)


def _verdict(ok: bool, detail: str) -> str:
    return f"{'met' if ok else 'NOT met'} ({detail})"


def _http(result: dict) -> str:
    return f"{result['per_second']:,.0f} /s · p50 {result['p50_ms']:,.1f} ms · p99 {result['p99_ms']:,.0f} ms"


def _errors(*results: dict) -> str:
    wrong = sum(n for r in results for status, n in r["statuses"].items() if status != "201")
    return f"{wrong} answers not 201: {results[0]['unexpected'][:1]}" if wrong else ""


def _cpu(result: dict) -> str:
    return "?" if result.get("server_cpu_ms") is None else f"{result['server_cpu_ms']:.1f} ms"


def _notes(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def exchange_rows(prefix: str, setup: str, r: dict, one_process: dict | None = None) -> list[Row]:
    """Figures 1 to 3 of one exchange() result. `one_process`: the same database's result with one
    server process, when `r` has more (its throughput is compared)."""
    table = []
    for number, figure, load in (("1", "requests to one unit", "requests"), ("3", "receipts", "receipts")):
        hub, floor = r[load]["hub"], r[load]["floor"]
        share = hub["per_second"] / floor["per_second"]
        scaling = ""
        if one_process is not None:
            times = hub["per_second"] / one_process[load]["hub"]["per_second"]
            scaling = f"{times:.2f}× the /s of 1 process (floor {floor['per_second'] / one_process[load]['floor']['per_second']:.2f}×)"
        tail = hub["p99_ms"] > 10 * hub["p50_ms"] and "sqlite" in setup.lower()
        table.append(
            Row(
                f"{prefix}{number}",
                f"{figure}, {setup}",
                _http(hub),
                f"floor {_http(floor)}",
                "≥ 50% of the floor's /s",
                _verdict(share >= 0.5, f"{share:.0%}"),
                _notes(
                    f"server CPU per call: hub {_cpu(hub)}, floor {_cpu(floor)}",
                    scaling,
                    TAIL if tail else "",
                    WHY_THROUGHPUT if share < 0.5 else "",
                    _errors(hub, floor),
                ),
                (hub["per_second"], hub["p50_ms"], hub["p99_ms"], floor["per_second"], floor["p50_ms"]),
            )
        )
    single, fanout, tasks = r["sequential"]["hub"], r["fanout"]["hub"], r["fanout_tasks"]
    ratio = fanout["p50_ms"] / single["p50_ms"]
    per_task = (fanout["p50_ms"] - single["p50_ms"]) / max(1, tasks - 1)
    table.insert(
        1,
        Row(
            f"{prefix}2",
            f"query to all capable units ({tasks} tasks), {setup}",
            f"p50 {fanout['p50_ms']:,.1f} ms · p99 {fanout['p99_ms']:,.0f} ms · {fanout['per_second']:,.1f} /s",
            f"one unit: p50 {single['p50_ms']:,.1f} ms · p99 {single['p99_ms']:,.0f} ms",
            "p50 ≤ 3 × one unit's",
            _verdict(ratio <= 3, f"{ratio:.1f}×"),
            _notes(
                f"{per_task:.1f} ms per further task; hub CPU per call {_cpu(fanout)} (one unit: {_cpu(single)})",
                WHY_FANOUT if ratio > 3 else "",
                _errors(fanout, single),
            ),
            (fanout["p50_ms"], single["p50_ms"], fanout["per_second"]),
        ),
    )
    return table


TAIL = "p99: writers sleep in SQLite's busy handler, waiting for the lock each transaction takes first"
WHY_THROUGHPUT = "the hub's own work per call (bench/README.md, 'What the figures say')"
WHY_FANOUT = "each task costs its own statements, none batched (bench/README.md)"


def rows(results: dict) -> list[Row]:
    """The table's rows from measure()'s results."""
    config: Config = results["config"]
    table = exchange_rows("", "SQLite, 1 process", results["exchange"][("sqlite", 1)])
    small, large = results["tick"][config.small], results["tick"][config.large]
    for job in ("overdue", "due-soon"):
        ratio = large[job]["run"] / small[job]["run"]
        table.append(
            Row(
                "4",
                f"alert tick '{job}' at {config.large:,} tasks, {config.due:,} due",
                f"{large[job]['run']:.3f} s (derive {large[job]['derive']:.3f} s)",
                f"at {config.small:,} tasks: {small[job]['run']:.3f} s (derive {small[job]['derive']:.3f} s)",
                f"≤ 3 × the tick at {config.small:,}",
                _verdict(ratio <= 3, f"{ratio:.2f}×"),
                _notes(
                    f"{large[job]['sent']} e-mails sent, {large[job]['owed']:,} tasks owed",
                    f"data set bulk-inserted in {large['generate']:.0f} s" if job == "overdue" else "",
                ),
                (large[job]["run"], small[job]["run"], large[job]["derive"], small[job]["derive"]),
            )
        )
    peak_large = max(large[job]["run_peak"] for job in ("overdue", "due-soon"))
    peak_small = max(small[job]["run_peak"] for job in ("overdue", "due-soon"))
    table.append(
        Row(
            "4",
            f"peak memory of a tick at {config.large:,} tasks, {config.due:,} due",
            f"{peak_large:.1f} MiB",
            f"at {config.small:,} tasks: {peak_small:.1f} MiB",
            f"bounded by the due rows: ≤ 1.5 × at {config.small:,}",
            _verdict(peak_large <= 1.5 * peak_small, f"{peak_large / peak_small:.2f}×"),
            "Python allocations (tracemalloc), the larger of the two jobs' first runs",
            (peak_large, peak_small),
        )
    )
    for name, figures in results["supervision"].items():
        first, last = PERIODS[name]
        judged = name == "month"
        table.append(
            Row(
                "5" if judged else "5 ·",
                f"supervisor's statistics, {name} {first:%Y-%m-%d}..{last:%m-%d}, {config.large:,} tasks",
                f"{figures['seconds']:.3f} s (first call {figures['first']:.3f} s)",
                f"{figures['received']:,} tasks received, {figures['overdue']:,} overdue listed",
                "< 0.5 s" if judged else "(shown, not a target)",
                _verdict(figures["seconds"] < 0.5, f"{figures['seconds']:.2f} s") if judged else "",
                SUPERVISION_NOTES.get(name, ""),
                (figures["seconds"], figures["first"]),
            )
        )
    pg = {processes: r for (kind, processes), r in results["exchange"].items() if kind == "postgres"}
    for processes, r in pg.items():
        setup = f"PostgreSQL, {processes} process{'es' if processes > 1 else ''}"
        table += exchange_rows("6 · ", setup, r, pg.get(1) if processes > 1 else None)
    if not pg:
        table.append(
            Row("6", "1-3 on PostgreSQL", "not run", "", "", "", "no PostgreSQL answered, or --no-postgres")
        )
    return table


SUPERVISION_NOTES = {
    "month": "what the page shows: a month per unit (the month before the tick's instant)",
    "month so far": "the page's default period at the tick's instant: the overdue list is all of it",
    "year": "a whole year per unit: two scans of the period's tasks, the second grouped by day pairs (README)",
}


def client_cpu_ms(results: dict) -> float:
    """The load generator's own CPU per call, over every load of the run."""
    loads = [
        result
        for exchanged in results["exchange"].values()
        for name in ("requests", "sequential", "fanout", "receipts")
        for result in exchanged[name].values()
    ]
    return sum(r["client_cpu_s"] for r in loads) / sum(r["calls"] for r in loads) * 1000


def caption(results: dict, elapsed: float) -> str:
    """How the figures were measured, in a paragraph under the table."""
    config: Config = results["config"]
    load = config.load
    return (
        f"HTTP: bench/load.py in a process of its own on the same cores (asyncio, raw HTTP/1.1 keep-alive, "
        f"{client_cpu_ms(results):.2f} ms of its own CPU per call), the same for hub and floor: "
        f"{load.concurrency} connections, each one request at a time, {load.calls:,} calls after "
        f"{load.warmup} unmeasured; figure 2: one connection, {load.fanout:,} calls of each kind. "
        f"Hub: `hub serve --no-worker` on a fresh database; floor: bench/floor.py on a fresh one-table "
        f"database of the same kind; both served by uvicorn.run as `hub serve` does; two processes: two "
        f"ports, the client's connections spread over them (as `hub serve --workers 2` runs, but split evenly). Server CPU per "
        f"call: the server processes' user+system time over the load (PostgreSQL's own not included). "
        f"Tick and statistics: SQLite, median of {config.repeat}. Whole run: {elapsed / 60:.1f} min."
    )


def render(table_rows: list[Row], facts: dict[str, str], text: str) -> Table:
    """The rich table: the machine as its title, `text` as its caption, the missed targets in red."""
    table = Table(title=" · ".join(facts.values()), caption=text, caption_justify="left")
    for name in ("#", "figure", "measured", "reference", "target", "result", "notes"):
        table.add_column(name, overflow="fold")
    for row in table_rows:
        style = "red" if row.verdict.startswith("NOT") else None
        table.add_row(
            row.number,
            row.figure,
            row.measured,
            row.reference,
            row.target,
            row.verdict,
            row.note,
            style=style,
        )
    return table


def markdown(table_rows: list[Row], facts: dict[str, str], command: str, text: str) -> str:
    """The table as Markdown, with the date, the command and the machine."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|") or " "

    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(SHANGHAI):%Y-%m-%d %H:%M} (Asia/Shanghai) with `{command}`.",
        "",
        "Machine: " + "; ".join(facts.values()) + ".",
        "",
        "| # | figure | measured | reference | target | result | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table_rows:
        cells = (row.number, row.figure, row.measured, row.reference, row.target, row.verdict, row.note)
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    lines += ["", text, ""]
    return "\n".join(lines)
