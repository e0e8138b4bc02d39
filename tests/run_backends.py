"""`make test`: the whole suite on SQLite and, when one answers, the database tests on PostgreSQL, at once.

HUB_TEST_PG_URL names the PostgreSQL (default: the local one, trust auth, database test). The two runs
share nothing (each makes its own databases, folders and ports) and each keeps about one core busy, so
they run side by side: SQLite's lines as they come, PostgreSQL's (kept in a file meanwhile) when it ends.
Prints which backends ran; exits non-zero if any run failed.
"""

import os
import subprocess
import sys
import tempfile

import psycopg

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def pytest(env: dict[str, str], *args: str, **streams) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pytest", *args], env=env, **streams)


def main() -> int:
    extra = sys.argv[1:]
    # none of the shell's hub settings, but the duties .ci/run sets (HUB_REQUIRE_BROWSER, HUB_REQUIRE_AXIS:
    # a missing Chromium or Axis fails those tests instead of skipping them)
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_") or k.startswith("HUB_REQUIRE_")}
    pg_url = os.environ.get("HUB_TEST_PG_URL", DEFAULT_PG)
    with tempfile.TemporaryFile("w+") as pg_lines:
        postgres = None
        if postgres_answers(pg_url):
            env = {**base, "HUB_TEST_DATABASE_URL": pg_url}
            postgres = pytest(env, "-m", "db", *extra, stdout=pg_lines, stderr=subprocess.STDOUT)
        print("\n=== tests on SQLite ===", flush=True)
        results = {"sqlite": pytest(base, *extra).wait() == 0}
        print("\n=== tests on PostgreSQL ===", flush=True)
        if postgres is None:
            print(f"PostgreSQL does not answer at {pg_url}: skipped", flush=True)
        else:
            results["postgresql"] = postgres.wait() == 0
            pg_lines.seek(0)
            sys.stdout.write(pg_lines.read())
    summary = ", ".join(f"{name} {'passed' if ok else 'FAILED'}" for name, ok in results.items())
    print(f"\nbackends ran: {summary}", flush=True)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
