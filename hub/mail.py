"""Sending e-mail through the configured SMTP server (standard library only).

Every failure comes out as a MailError that says whether trying again later can help; the callers
(the e-mail adapter, the alerts) decide what to do with it.
"""

import logging
import mimetypes
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid, parseaddr

from hub.clock import SHANGHAI, now
from hub.config import Settings

logger = logging.getLogger(__name__)

# Bodies go out as base64 or quoted-printable, never raw 8-bit, so any relay carries them intact.
POLICY = default_policy.clone(cte_type="7bit")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MailError(Exception):
    """The message was not sent. `temporary`: the server is down, timed out or answered 4xx, so trying
    again later may work; otherwise (5xx for the message, every recipient refused for good, TLS or login
    not possible) it never will."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


class Mailer:
    """Composes and sends messages with the SMTP settings of `settings` (smtp_*, mail_from)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"

    def compose(
        self,
        *,
        to: list[str],
        subject: str,
        text: str,
        html: str | None = None,
        attachments: dict[str, bytes] | None = None,
    ) -> EmailMessage:
        """A message from settings.mail_from to `to`: the text (and HTML alternative) and the attachments,
        each with a content type guessed from its file name (application/octet-stream otherwise)."""
        message = EmailMessage(policy=POLICY)
        message["From"] = self.settings.mail_from
        message["To"] = ", ".join(to)
        message["Subject"] = " ".join(subject.split())
        message["Date"] = format_datetime(now().astimezone(SHANGHAI))
        domain = parseaddr(self.settings.mail_from)[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        for name, data in (attachments or {}).items():
            content_type = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
            maintype, _, subtype = content_type.partition("/")
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=_CONTROL.sub("_", name))
        return message

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the SMTP server, to the recipients of its To, Cc and Bcc headers.

        Connects with smtp_timeout_s, upgrades with STARTTLS when smtp_starttls is set and logs in when
        smtp_user is set. When the server accepts some recipients and refuses others, the message is
        sent (to those it accepted): the refused ones are logged, not raised. Raises MailError, never a
        raw smtplib or socket error.
        """
        try:
            refused = self._transmit(message)
        except smtplib.SMTPRecipientsRefused as exc:
            answers = exc.recipients.items()
            detail = "; ".join(f"{rcpt} ({code} {_text(reply)})" for rcpt, (code, reply) in answers)
            # One recipient refused for now (4xx) is enough for a later attempt to be worth it.
            temporary = any(400 <= code < 500 for code, _ in exc.recipients.values())
            raise MailError(f"{self.where}: every recipient refused: {detail}", temporary=temporary) from None
        except smtplib.SMTPResponseException as exc:
            stage = {
                smtplib.SMTPSenderRefused: "sender refused",
                smtplib.SMTPDataError: "message refused",
                smtplib.SMTPAuthenticationError: "login failed",
                smtplib.SMTPHeloError: "greeting refused",
                smtplib.SMTPConnectError: "connection refused by the server",
            }.get(type(exc), "refused")
            raise MailError(
                f"{self.where}: {stage}: {exc.smtp_code} {_text(exc.smtp_error)}",
                temporary=400 <= exc.smtp_code < 500,
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            if isinstance(exc.__context__, TimeoutError):  # smtplib reports a read timeout this way
                raise self._timed_out() from None
            raise MailError(f"{self.where}: the server closed the connection", temporary=True) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(f"{self.where}: {_not_supported(exc)}", temporary=False) from None
        except smtplib.SMTPException as exc:
            raise MailError(f"{self.where}: {exc}", temporary=False) from None
        except ssl.SSLError as exc:
            raise MailError(f"{self.where}: TLS failed: {exc.reason or exc}", temporary=False) from None
        except ConnectionRefusedError:
            raise MailError(f"{self.where}: connection refused", temporary=True) from None
        except TimeoutError:
            raise self._timed_out() from None
        except OSError as exc:
            raise MailError(f"{self.where}: {exc.strerror or exc}", temporary=True) from None
        if refused:
            logger.warning(
                "%s: sent %s, but these recipients were refused: %s",
                self.where,
                message["Message-ID"],
                "; ".join(f"{rcpt} ({code} {_text(reply)})" for rcpt, (code, reply) in refused.items()),
            )

    def _timed_out(self) -> MailError:
        return MailError(f"{self.where}: no answer within {self.settings.smtp_timeout_s:g} s", temporary=True)

    def _transmit(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        settings = self.settings
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
        try:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            return smtp.send_message(message)
        finally:
            # Once the server has the message, a failed QUIT changes nothing (SMTP's __exit__ would raise).
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())


def _not_supported(exc: smtplib.SMTPNotSupportedError) -> str:
    text = str(exc)
    if "STARTTLS" in text:
        return "the server does not offer STARTTLS (HUB_SMTP_STARTTLS is set)"
    if "AUTH" in text:
        return "the server offers no login (AUTH) on this connection (HUB_SMTP_USER is set)"
    return text
