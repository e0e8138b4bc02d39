"""The e-mail adapter against a real SMTP server (aiosmtpd): the message a unit receives, and each outcome."""

from datetime import timedelta

import pytest
from conftest import example, example_file
from pydantic import ValidationError

from adapters.base import AdapterContext, Delivery, Refused, RetryLater, Served
from adapters.email import EmailAdapter, EmailChannel
from hub.clock import now
from hub.config import Settings

UNIT = "安图县住房公积金管理中心"
TO = ["gjj@unit.example", "gjj-backup@unit.example"]


def adapter(smtp, **options) -> EmailAdapter:
    settings = Settings(
        smtp_host=smtp.host, smtp_port=smtp.port, public_url="https://hub.example/", **options
    )
    return EmailAdapter(EmailChannel(kind="email", to=TO), AdapterContext(settings))


def delivery(name: str = "request-freeze.xml", **changes) -> Delivery:
    files = {"ruling.pdf": example_file("ruling.pdf"), "notice.pdf": example_file("notice.pdf")}
    fields = dict(
        task_id=4711,
        unit_code="housing-fund",
        unit_name=UNIT,
        court_code="J2426",
        court_name="安图县人民法院",
        request_no="AT-2026-000123",
        action="FREEZE",
        document=example(name),
        files=files,
    )
    return Delivery(**{**fields, **changes})


def test_the_unit_receives_the_notice_with_the_request_and_its_files(smtp):
    task = delivery()
    before = now()
    outcome = adapter(smtp).serve(task)
    assert isinstance(outcome, Served) and outcome.receipt is None
    assert before <= outcome.at <= now() + timedelta(seconds=1)

    (message,) = smtp.wait_for(1)
    assert smtp.envelopes == [("linkage-hub@example.org", TO)]
    assert message["Subject"] == "【执行联动】协助执行通知书 AT-2026-000123（安图县人民法院）"
    assert [a.addr_spec for a in message["To"].addresses] == TO

    text = message.get_body(("plain",)).get_content()
    assert "https://hub.example/tasks/4711" in text and "任务编号：4711" in text
    assert f"{UNIT}：" in text and "冻结金额：人民币50,000.00元" in text and "请勿直接回复" in text
    page = message.get_body(("html",)).get_content()
    assert page.startswith("<!DOCTYPE html>")
    assert '<a href="https://hub.example/tasks/4711">' in page
    assert "<h2>协助执行通知书</h2>" in page and 'class="no-print"' in page

    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert {name: part.get_content() for name, part in attachments.items()} == {
        "AT-2026-000123.xml": task.document,
        "ruling.pdf": task.files["ruling.pdf"],
        "notice.pdf": task.files["notice.pdf"],
    }
    assert attachments["ruling.pdf"].get_content_type() == "application/pdf"


def test_titles_follow_the_action_and_files_keep_their_names(smtp):
    task = delivery(
        "request-query.xml",
        request_no="AT-2026-000101",
        action="QUERY",
        files={"协助查询通知书.pdf": b"%PDF-1.4 query"},
    )
    assert isinstance(adapter(smtp).serve(task), Served)
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "【执行联动】协助查询通知书 AT-2026-000101（安图县人民法院）"
    names = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert names == {"AT-2026-000101.xml": task.document, "协助查询通知书.pdf": b"%PDF-1.4 query"}


def test_names_an_older_hub_stored_are_mailed_under_safe_names(smtp):
    """A request stored before the standard limited file names lists one with CR LF (no header can carry
    it: the mail failed for good) and one that is the XML's own name in other case."""
    task = delivery(
        files={"a\r\nb.pdf": b"%PDF-1.4 a", "at-2026-000123.XML": b"<x/>", "CON.pdf": b"%PDF con"}
    )

    assert isinstance(adapter(smtp).serve(task), Served)

    (message,) = smtp.wait_for(1)
    names = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert names == {
        "AT-2026-000123-request.xml": task.document,
        "a__b.pdf": b"%PDF-1.4 a",
        "at-2026-000123.XML": b"<x/>",
        "_CON.pdf": b"%PDF con",
    }


def test_server_down_is_retried_later(smtp):
    smtp.stop()
    outcome = adapter(smtp, delivery_retry_base_s=45).serve(delivery())
    assert outcome == RetryLater(delay_s=45, error=f"SMTP 127.0.0.1:{smtp.port}: connection refused")


def test_a_mailbox_busy_is_retried_later(smtp):
    smtp.reject_recipients(451, "4.3.0 try again")
    outcome = adapter(smtp).serve(delivery())
    assert isinstance(outcome, RetryLater) and "451 4.3.0 try again" in outcome.error


def test_mailboxes_that_do_not_exist_refuse_the_task(smtp):
    smtp.reject_recipients(550, "5.1.1 no such mailbox")
    outcome = adapter(smtp).serve(delivery())
    assert isinstance(outcome, Refused)
    assert (
        "every recipient refused" in outcome.error
        and "gjj@unit.example (550 5.1.1 no such mailbox)" in outcome.error
    )
    assert smtp.messages == []


def test_one_mailbox_left_is_enough(smtp):
    smtp.reject_recipients(550, "5.1.1 gone", only=["gjj-backup@unit.example"])
    assert isinstance(adapter(smtp).serve(delivery()), Served)
    smtp.wait_for(1)
    assert smtp.envelopes[0][1] == ["gjj@unit.example"]


def test_a_document_that_is_not_a_request_is_refused_without_mailing(smtp):
    outcome = adapter(smtp).serve(delivery(document=example("receipt-controlled.xml")))
    assert isinstance(outcome, Refused) and "AT-2026-000123" in outcome.error
    assert smtp.messages == []


def test_the_channel_configuration_is_validated():
    assert EmailAdapter.kind == "email" and EmailAdapter.config_model is EmailChannel
    with pytest.raises(ValidationError):
        EmailChannel(kind="email", to=[])
    with pytest.raises(ValidationError):
        EmailChannel(kind="email", to=["not an address"])
