"""`hub controls import` as an administrator runs it for a court (in the test's process: tests/cli_support.py),
against a real database, then the imported controls read through the API as the officer sees them."""

from types import SimpleNamespace

import pytest
from cli_support import invoke
from imports_support import REGISTRATION, csv_of, row, seal_row


@pytest.fixture
def run_hub(database_url, tmp_path):
    env = {"HUB_DATABASE_URL": database_url, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DEMO": "1"}

    def run(*args: str) -> SimpleNamespace:
        done = invoke(*args, env=env)
        return SimpleNamespace(returncode=done.exit_code, stdout=done.stdout, stderr=done.stderr)

    return run


def test_import_a_file_then_again_and_nothing_new_is_made(run_hub, tmp_path, client, token):
    path = tmp_path / "补录.csv"
    path.write_bytes(csv_of(row(), seal_row(), encoding="gbk"))

    checked = run_hub("controls", "import", str(path), "--court", "J2426", "--officer", "officer", "--check")
    assert checked.returncode == 0, checked.stderr
    assert "2 controls to import; nothing written (--check)" in checked.stdout
    assert client.get("/api/v1/controls", headers=token("officer")).json()["items"] == []

    first = run_hub("controls", "import", str(path), "--court", "J2426", "--officer", "officer")
    assert first.returncode == 0, first.stderr
    listed = client.get("/api/v1/controls", headers=token("officer")).json()["items"]
    assert [(c["registration_no"], c["status"]) for c in listed] == [
        (REGISTRATION, "ACTIVE"),
        ("BDC-CF-2025-0099", "ACTIVE"),
    ]
    assert f"line 2: control {listed[0]['id']}, FREEZE housing-fund {REGISTRATION}" in first.stdout
    assert "2 controls imported, 0 in the hub already" in first.stdout

    again = run_hub("controls", "import", str(path), "--court", "J2426", "--officer", "officer")
    assert again.returncode == 0, again.stderr
    assert (
        f"line 2: housing-fund {REGISTRATION} is in the hub already as control {listed[0]['id']}: skipped"
        in (again.stdout)
    )
    assert "0 controls imported, 2 in the hub already" in again.stdout
    assert len(client.get("/api/v1/controls", headers=token("officer")).json()["items"]) == 2


def test_a_file_with_problems_exits_1_naming_each_in_english(run_hub, tmp_path, client, token):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_of(row(id_number="222426197906050030"), row(registration_no="R3", unit="nowhere")))

    done = run_hub("controls", "import", str(path), "--court", "J2426", "--officer", "officer")

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "bad.csv was not imported: correct these and import it again",
        "  line 2 证件号码: IdNumber 222426197906050030: wrong check digit: 0, expected X (ISO 7064 MOD 11-2)",
        "  line 3 协助单位: 'nowhere' is not a unit of the directory: write its code or its name",
    ]
    assert client.get("/api/v1/controls", headers=token("officer")).json()["items"] == []


def test_the_officer_must_be_one_of_the_court(run_hub, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_of(row()))

    done = run_hub("controls", "import", str(path), "--court", "J2426", "--officer", "supervisor")

    assert done.returncode == 2 and "'supervisor' is not an active officer of court J2426" in done.stderr


def test_a_file_past_the_limit_is_refused_before_it_is_read(run_hub, tmp_path):
    path = tmp_path / "large.csv"
    with path.open("wb") as large:
        large.truncate(3 * 1024 * 1024)  # sparse: nothing to read, only its size

    done = run_hub("controls", "import", str(path), "--court", "J2426", "--officer", "officer")

    assert done.returncode == 1 and "more than 2,097,152: split it" in done.stderr
