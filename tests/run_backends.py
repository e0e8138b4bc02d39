"""`make test`: the whole suite on SQLite and, when one answers, the database tests on PostgreSQL, at once.

HUB_TEST_PG_URL names the PostgreSQL (default: the local one, trust auth, database test). Each backend's
run is cut in two halves of the test files (balanced by their size), and the four runs go two at a time,
the PostgreSQL halves first: the machine has two cores, and PostgreSQL's run alone took longer than
SQLite's, so that one core idled at the end. The runs share nothing (each makes its own databases,
folders and ports); each run's lines are printed when it ends. Prints which backends ran; exits non-zero
if any run failed. With arguments (`python -m tests.run_backends tests/web -x`), one run per backend.
"""

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TESTS = Path(__file__).resolve().parent
CORES = 2


def postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def halves(files: list[Path]) -> tuple[list[str], list[str]]:
    """The test files in two lists of about the same size (largest first, each to the lighter list)."""
    parts: tuple[list[str], list[str]] = ([], [])
    weights = [0, 0]
    for path in sorted(files, key=lambda p: p.stat().st_size, reverse=True):
        lighter = weights.index(min(weights))
        parts[lighter].append(str(path.relative_to(TESTS.parent)))
        weights[lighter] += path.stat().st_size
    return parts


@dataclass
class Run:
    name: str
    backend: str
    env: dict[str, str]
    args: list[str]
    process: subprocess.Popen | None = None
    output: object = None
    started: float = 0.0

    def start(self) -> None:
        self.output = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in finish, once printed)
        self.started = time.monotonic()
        command = [sys.executable, "-m", "pytest", *self.args]
        self.process = subprocess.Popen(command, env=self.env, stdout=self.output, stderr=subprocess.STDOUT)

    def finish(self) -> bool:
        assert self.process is not None
        ok = self.process.wait() == 0
        self.output.seek(0)
        print(f"\n=== {self.name} ({time.monotonic() - self.started:.0f} s) ===", flush=True)
        sys.stdout.write(self.output.read())
        sys.stdout.flush()
        self.output.close()
        return ok


def main() -> int:
    extra = sys.argv[1:]
    # none of the shell's hub settings, but the duties .ci/run sets (HUB_REQUIRE_BROWSER: a
    # missing Chromium fails the browser tests instead of skipping them)
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_") or k.startswith("HUB_REQUIRE_")}
    pg_url = os.environ.get("HUB_TEST_PG_URL", DEFAULT_PG)
    postgres = {**base, "HUB_TEST_DATABASE_URL": pg_url} if postgres_answers(pg_url) else None
    runs: list[Run] = []
    shards = [extra] if extra else [list(h) for h in halves(sorted(TESTS.rglob("test_*.py")))]
    if postgres is not None:
        runs += [
            Run(f"PostgreSQL {i + 1}/{len(shards)}", "postgresql", postgres, ["-m", "db", *s])
            for i, s in enumerate(shards)
        ]
    runs += [Run(f"SQLite {i + 1}/{len(shards)}", "sqlite", base, s) for i, s in enumerate(shards)]
    results: dict[str, bool] = {}
    waiting, running = list(runs), []
    while waiting or running:
        while waiting and len(running) < CORES:
            run = waiting.pop(0)
            run.start()
            running.append(run)
        done = next((r for r in running if r.process.poll() is not None), None)
        if done is None:
            time.sleep(0.5)
            continue
        running.remove(done)
        results[done.backend] = done.finish() and results.get(done.backend, True)
    if postgres is None:
        print(f"\nPostgreSQL does not answer at {pg_url}: skipped", flush=True)
    summary = ", ".join(
        f"{name} {'passed' if ok else 'FAILED'}" for name, ok in sorted(results.items(), reverse=True)
    )
    print(f"\nbackends ran: {summary}", flush=True)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
