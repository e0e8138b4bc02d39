"""`hub jobs` as an operator runs it after downtime: a real database, a real SMTP server, the command in the
test's process (cli_support.invoke).

One test starts `hub` as processes of their own: two running every job at the same instant, where the point
is two processes claiming the same alerts at once."""

import subprocess
from datetime import date, timedelta

from cli_support import HUB, invoke, process_environment
from conftest import edit, listed_files, multipart, submit


def settings_of(hub, smtp) -> dict[str, str]:
    """The operator's settings: the test's database, data folder and mail server, outside demo mode."""
    return {
        "HUB_DATABASE_URL": hub.settings.database_url,
        "HUB_DATA_DIR": str(hub.settings.data_dir),
        "HUB_SMTP_HOST": smtp.host,
        "HUB_SMTP_PORT": str(smtp.port),
    }


def run(hub, smtp, *args: str):
    return invoke("jobs", *args, env=settings_of(hub, smtp))


def test_jobs_list_names_every_job(hub, smtp):
    listed = run(hub, smtp, "list")
    assert listed.exit_code == 0, listed.stderr
    names = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert names == [
        "due-soon",
        "overdue",
        "escalation",
        "objections",
        "controls",
        "digest",
        "delivery-failed",
    ]


def test_overdue_a_day_past_due_mails_the_unit_and_the_officer_once(hub, client, token, smtp):
    request = submit(client, token("officer"), "request-freeze.xml")
    due = request["tasks"][0]["due_at"]  # the end of a working day, e.g. 2026-11-30T23:59:59+08:00
    later = (date.fromisoformat(due[:10]) + timedelta(days=1)).isoformat() + "T09:00"  # a day past it
    first = run(hub, smtp, "run", "overdue", "--at", later)
    assert first.exit_code == 0, first.stderr
    assert (
        first.stdout.strip()
        == "overdue: 2 new, 2 e-mail(s) sent, 0 refused, 0 recipient(s) waiting for the mail server"
    )
    assert sorted(m["To"] for m in smtp.messages) == ["housing-fund.staff@example.org", "officer@example.org"]
    second = run(hub, smtp, "run", "overdue", "--at", later)
    assert "0 new, 0 e-mail(s) sent" in second.stdout and len(smtp.messages) == 2


def test_a_run_with_the_mail_server_down_exits_1_and_says_so(hub, client, token, smtp):
    request = submit(client, token("officer"), "request-freeze.xml")
    smtp.stop()
    down = run(hub, smtp, "run", "overdue", "--at", "2027-01-10T09:00")
    assert down.exit_code == 1 and "2 recipient(s) waiting for the mail server" in down.stdout
    assert request["tasks"][0]["status"] == "served"


def test_an_unknown_job_or_instant_is_refused(hub, smtp):
    assert run(hub, smtp, "run", "weekly").exit_code == 2
    bad = run(hub, smtp, "run", "overdue", "--at", "yesterday")
    assert bad.exit_code == 2 and "not an instant" in bad.stderr


def test_two_processes_running_every_job_at_the_same_instant_send_each_alert_once(hub, client, token, smtp):
    officer = token("officer")
    for number in range(123, 131):
        document = edit("request-freeze.xml", ("AT-2026-000123", f"AT-2026-000{number}"))
        response = client.post(
            "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=officer
        )
        assert response.status_code == 201, response.text
    at = "2027-01-11T09:00"  # a Monday: overdue, escalated, and the weekly digest, all at once
    env = process_environment(settings_of(hub, smtp))
    processes = [
        subprocess.Popen(
            [str(HUB), "jobs", "run", "all", "--at", at],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    recipients = sorted(m["To"] for m in smtp.messages)
    kinds = sorted(m["Subject"].split("：")[0] for m in smtp.messages)
    assert recipients == sorted(
        [
            "housing-fund.staff@example.org",
            "officer@example.org",  # overdue
            "housing-fund.supervisor@example.org",
            "j2426.supervisor@example.org",  # escalation
            "housing-fund.supervisor@example.org",
            "j2426.supervisor@example.org",  # digest
        ]
    ), kinds
    assert all("8 件" in m["Subject"] for m in smtp.messages if "周报" not in m["Subject"])
