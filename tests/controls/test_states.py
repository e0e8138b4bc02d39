"""The control state machine (hub/controls/states.py): its table, its refusals, its audit events, and that
no other module writes a control status literal."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import frozen_control, waitlisted_seal
from sqlalchemy import select

from hub.alerts.messages import CONTROL_SPEC
from hub.controls.states import (
    TRANSITIONS,
    Cause,
    ControlEvent,
    ControlStatus,
    IllegalTransition,
    WrongCause,
    change,
    events_from,
    register,
)
from hub.models import AuditEvent, Control

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "hub" / "controls" / "states.py"
STATUSES = "|".join(s.value for s in ControlStatus)
LITERAL = re.compile(rf"""["']({STATUSES})["']""")
# The standard's Outcome codes WAITLISTED and RELEASED spell like two statuses but are receipt outcomes.
OUTCOME_CODES = {
    ("hub/standard/codes.py", 'WAITLISTED = "WAITLISTED"'),
    ("hub/standard/codes.py", 'RELEASED = "RELEASED"'),
}


def test_no_control_status_literal_outside_the_state_machine():
    found = []
    for folder in ("hub", "receipts", "adapters"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".html") or path == HOME:
                continue
            relative = path.relative_to(ROOT).as_posix()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if LITERAL.search(line) and (relative, line.strip()) not in OUTCOME_CODES:
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, "control status literals outside hub/controls/states.py:\n" + "\n".join(found)


def test_the_table_ends_in_stored_states_and_names_who_causes_each_change():
    assert [s.value for s in ControlStatus] == [
        "ACTIVE",
        "WAITLISTED",
        "RELEASED",
        "EXPIRED",
        "LAPSED",
        "WITHDRAWN",
        "RENEWED",
        "DEDUCTED",
        "DISPOSED",
    ]
    assert {event for _, event in TRANSITIONS} == set(ControlEvent)
    assert set(events_from(None)) == {ControlEvent.REGISTERED, ControlEvent.WAITLISTED, ControlEvent.IMPORTED}
    assert TRANSITIONS[None, ControlEvent.IMPORTED].cause is Cause.COURT_IMPORT
    assert TRANSITIONS[ControlStatus.ACTIVE, ControlEvent.EXPIRED].cause is Cause.HUB_JOB
    assert TRANSITIONS[ControlStatus.WAITLISTED, ControlEvent.PROMOTED].told == "control_effective"
    for status in (
        ControlStatus.RELEASED,
        ControlStatus.LAPSED,
        ControlStatus.WITHDRAWN,
        ControlStatus.DEDUCTED,
        ControlStatus.DISPOSED,
    ):
        assert events_from(status) == (), f"{status} is an end: nothing moves it"
    # a renewed control is carried on by its renewal: only a withdrawal of its registration or of the renewal's moves it
    assert set(events_from(ControlStatus.RENEWED)) == {
        ControlEvent.WITHDRAWN_BY_UNIT,
        ControlEvent.RENEWAL_WITHDRAWN,
    }
    # an expired control is renewed only by a renewal its unit registered in time and reported late
    assert events_from(ControlStatus.EXPIRED) == (ControlEvent.RENEWED,)
    # only a pre-seal turns into a seal, and the officer is told; a transfer ends a control in force or waiting
    assert TRANSITIONS[ControlStatus.ACTIVE, ControlEvent.CONVERTED].told == "control_converted"
    assert ControlEvent.CONVERTED in events_from(ControlStatus.ACTIVE, kind="PRE_SEAL")
    assert ControlEvent.CONVERTED not in events_from(ControlStatus.ACTIVE, kind="SEAL")
    for status in (ControlStatus.ACTIVE, ControlStatus.WAITLISTED):
        assert TRANSITIONS[status, ControlEvent.TRANSFERRED].to is ControlStatus.DISPOSED


def test_what_the_officer_is_told_is_an_e_mail_the_controls_job_sends():
    told = {step.told for step in TRANSITIONS.values() if step.told is not None}
    assert told == {"control_effective", "control_converted", "control_withdrawn", "control_expired"}
    assert told <= set(CONTROL_SPEC), "each alert kind the table names has its section in the e-mail"


def _events(session, control: Control) -> list[AuditEvent]:
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity == "control", AuditEvent.entity_id == str(control.id))
            .order_by(AuditEvent.seq)
        ).scalars()
    )


MOVES = [key for key in TRANSITIONS if key[0] is not None]


@pytest.mark.parametrize(("start", "event"), MOVES, ids=[f"{s}-{e}" for s, e in MOVES])
def test_every_allowed_transition_moves_the_control_and_is_recorded(hub, client, token, start, event):
    made = frozen_control(client, token)
    with hub.sessions() as session:
        control = session.get_one(Control, made["id"])
        control.status, control.queue_position = start.value, 3
        if event is ControlEvent.CONVERTED:
            control.kind = "PRE_SEAL"  # only a pre-seal is converted
        at = control.updated_at.replace(year=2027)
        control.amount = Decimal("100.00")
        change(
            session,
            control,
            event,
            cause=TRANSITIONS[start, event].cause,
            at=at,
            actor="test",
            amount=Decimal("40.00"),
            queue_position=1,
            data={"why": "test"},
        )
        expected = TRANSITIONS[start, event]
        assert control.status == expected.to and control.updated_at == at
        if event is ControlEvent.PROMOTED:
            assert control.promoted_at == at and control.queue_position is None
        if event is ControlEvent.PART_DEDUCTED:
            assert control.amount == Decimal("40.00")
        if event is ControlEvent.QUEUE_MOVED:
            assert control.queue_position == 1
        if event is ControlEvent.CONVERTED:
            assert control.kind == "SEAL"
        last = _events(session, control)[-1]
        assert last.kind == f"control.{event}" and last.actor == "test"
        assert f'"from":"{start}"' in last.data and f'"to":"{expected.to}"' in last.data
        session.rollback()


def test_an_illegal_transition_is_refused_naming_the_status_and_what_is_allowed(hub, client, token):
    made = frozen_control(client, token)
    with hub.sessions() as session:
        control = session.get_one(Control, made["id"])
        before = len(_events(session, control))
        with pytest.raises(IllegalTransition) as refused:
            change(
                session,
                control,
                ControlEvent.PROMOTED,
                cause=Cause.UNIT_RECEIPT,
                at=control.updated_at,
                actor="test",
            )
        assert str(refused.value) == (
            f"control {control.id} is ACTIVE: it cannot be promoted "
            "(allowed: released, withdrawn_by_unit, withdrawn_with_original, expired, renewed, deducted, part_deducted, "
            "transferred)"
        )
        assert control.status == ControlStatus.ACTIVE and len(_events(session, control)) == before
        with pytest.raises(IllegalTransition, match="is not yet registered: it cannot be expired"):
            register(
                session,
                Control(),
                ControlEvent.EXPIRED,
                cause=Cause.HUB_JOB,
                at=control.updated_at,
                actor="test",
            )
        session.rollback()


def test_a_change_by_anyone_but_who_the_table_names_is_a_bug_and_changes_nothing(hub, client, token):
    made = frozen_control(client, token)
    with hub.sessions() as session:
        control = session.get_one(Control, made["id"])
        with pytest.raises(WrongCause, match="a unit receipt cannot cause expired: only a hub job does"):
            change(
                session,
                control,
                ControlEvent.EXPIRED,
                cause=Cause.UNIT_RECEIPT,
                at=control.updated_at,
                actor="x",
            )
        with pytest.raises(WrongCause, match="a hub job cannot cause imported: only a court import does"):
            register(
                session,
                Control(),
                ControlEvent.IMPORTED,
                cause=Cause.HUB_JOB,
                at=control.updated_at,
                actor="x",
            )
        assert control.status == ControlStatus.ACTIVE
        session.rollback()


def test_a_receipt_registers_its_controls_through_the_machine(hub, client, token):
    _, control = waitlisted_seal(client, token)
    with hub.sessions() as session:
        [event] = _events(session, session.get_one(Control, control["id"]))
    assert control["status"] == "WAITLISTED"
    assert event.kind == "control.waitlisted" and event.actor.startswith("user:")
