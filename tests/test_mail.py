"""hub.mail against a real SMTP server (aiosmtpd): what a message holds, and how each failure is told."""

import logging
import socket
from email.utils import parsedate_to_datetime

import pytest

from hub.config import Settings
from hub.mail import Mailer, MailError


def mailer(smtp, **options) -> Mailer:
    return Mailer(Settings(smtp_host=smtp.host, smtp_port=smtp.port, **options))


def compose(m: Mailer, **options):
    message = dict(to=["staff@unit.example"], subject="主题", text="正文")
    return m.compose(**{**message, **options})


def test_a_composed_message_has_sender_date_id_and_a_utf8_subject(smtp):
    m = mailer(smtp, mail_from="执行联动平台 <hub@court.example>")
    message = m.compose(
        to=["a@unit.example", "b@unit.example"],
        subject="【执行联动】协助执行通知书\r\nBcc: x@evil",
        text="正文",
    )
    assert message["From"].addresses[0].addr_spec == "hub@court.example"
    assert message["To"].addresses[1].addr_spec == "b@unit.example"
    assert message["Message-ID"].endswith("@court.example>")
    assert parsedate_to_datetime(message["Date"]).utcoffset().total_seconds() == 8 * 3600
    assert message["Subject"] == "【执行联动】协助执行通知书 Bcc: x@evil"  # one line: no header injection
    assert message["Bcc"] is None
    assert "=?utf-8?" in message.as_string().split("\n\n")[0]


def test_text_html_and_attachments_with_guessed_types(smtp):
    message = compose(
        mailer(smtp),
        text="第一行\n第二行",
        html="<p>第一行</p>",
        attachments={
            "裁定书.pdf": b"%PDF-1.4",
            "AT-2026-000123.xml": b"<x/>",
            "data.unknownext": b"\x00\xff",
        },
    )
    assert message.get_body(("plain",)).get_content() == "第一行\n第二行\n"
    assert message.get_body(("html",)).get_content() == "<p>第一行</p>\n"
    parts = {part.get_filename(): part for part in message.iter_attachments()}
    assert {name: part.get_content_type() for name, part in parts.items()} == {
        "裁定书.pdf": "application/pdf",
        "AT-2026-000123.xml": "application/xml",
        "data.unknownext": "application/octet-stream",
    }
    # Nothing goes out as raw 8-bit.
    assert {part["Content-Transfer-Encoding"] for part in message.walk() if not part.is_multipart()} <= {
        "base64",
        "quoted-printable",
        "7bit",
    }


def test_sent_without_starttls_and_received_byte_for_byte(smtp):
    m = mailer(smtp)
    assert not m.settings.smtp_starttls and not m.settings.smtp_user
    blob = bytes(range(256)) * 40
    m.send(compose(m, to=["a@unit.example", "b@unit.example"], attachments={"blob.bin": blob}))
    (received,) = smtp.wait_for(1)
    assert smtp.envelopes == [("linkage-hub@example.org", ["a@unit.example", "b@unit.example"])]
    assert received["Subject"] == "主题"
    assert received.get_body(("plain",)).get_content() == "正文\n"
    (attachment,) = received.iter_attachments()
    assert attachment.get_content() == blob


def test_server_down_is_temporary_and_it_comes_back_on_the_same_port(smtp):
    m = mailer(smtp)
    smtp.stop()
    with pytest.raises(MailError) as caught:
        m.send(compose(m))
    assert caught.value.temporary
    assert str(caught.value) == f"SMTP 127.0.0.1:{smtp.port}: connection refused"
    smtp.start()
    m.send(compose(m))
    assert len(smtp.wait_for(1)) == 1


def test_a_server_that_never_answers_times_out_as_temporary():
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        m = Mailer(Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_s=0.3))
        with pytest.raises(MailError, match=r"no answer within 0.3 s") as caught:
            m.send(compose(m))
    assert caught.value.temporary


def test_every_recipient_refused_with_550_is_permanent(smtp):
    m = mailer(smtp)
    smtp.reject_recipients(550, "5.1.1 no such mailbox")
    with pytest.raises(MailError) as caught:
        m.send(compose(m))
    assert not caught.value.temporary
    assert "staff@unit.example (550 5.1.1 no such mailbox)" in str(caught.value)
    assert smtp.messages == []


def test_a_recipient_refused_with_4xx_is_temporary(smtp):
    m = mailer(smtp)
    smtp.reject_recipients(450, "4.2.1 try again later")
    with pytest.raises(MailError) as caught:
        m.send(compose(m))
    assert caught.value.temporary and "450" in str(caught.value)


def test_some_recipients_refused_still_counts_as_sent(smtp, caplog):
    m = mailer(smtp)
    smtp.reject_recipients(550, "5.1.1 gone", only=["old@unit.example"])
    with caplog.at_level(logging.WARNING, logger="hub.mail"):
        m.send(compose(m, to=["staff@unit.example", "old@unit.example"]))
    smtp.wait_for(1)
    assert smtp.envelopes[0][1] == ["staff@unit.example"]
    assert "old@unit.example (550 5.1.1 gone)" in caplog.text


def test_starttls_asked_of_a_server_without_it_is_permanent(smtp):
    m = mailer(smtp, smtp_starttls=True)
    with pytest.raises(MailError, match="does not offer STARTTLS") as caught:
        m.send(compose(m))
    assert not caught.value.temporary
    assert smtp.messages == []


def test_login_asked_of_a_server_without_auth_is_permanent(smtp):
    m = mailer(smtp, smtp_user="hub", smtp_password="secret")
    with pytest.raises(MailError, match="offers no login") as caught:
        m.send(compose(m))
    assert not caught.value.temporary
