"""`make test`: the whole suite on SQLite, then the database tests again on PostgreSQL when one answers.

HUB_TEST_PG_URL names the PostgreSQL (default: the local one, trust auth, database test).
Prints which backends ran; exits non-zero if any run failed.
"""

import os
import subprocess
import sys

import psycopg

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def run(label: str, env: dict[str, str], *args: str) -> bool:
    print(f"\n=== tests on {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env) == 0


def main() -> int:
    extra = sys.argv[1:]
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    results = {"sqlite": run("SQLite", base, *extra)}
    pg_url = os.environ.get("HUB_TEST_PG_URL", DEFAULT_PG)
    if postgres_answers(pg_url):
        results["postgresql"] = run(
            "PostgreSQL", {**base, "HUB_TEST_DATABASE_URL": pg_url}, "-m", "db", *extra
        )
    else:
        print(f"\nPostgreSQL does not answer at {pg_url}: skipped", flush=True)
    summary = ", ".join(f"{name} {'passed' if ok else 'FAILED'}" for name, ok in results.items())
    print(f"\nbackends ran: {summary}", flush=True)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
