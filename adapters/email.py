"""E-mail: the task is mailed to the unit's addresses as the notice, with the request XML and its files.

The unit answers through the hub (its inbox or the API), never by replying: the message says where.
The task counts as served when the SMTP server accepts the message.
"""

import html
from typing import Literal

from pydantic import EmailStr, Field

from adapters.base import Adapter, ChannelConfig, Delivery, Outcome, Refused, RetryLater, Served
from hub.clock import now
from hub.mail import Mailer, MailError
from hub.standard.filenames import key_of, safe_name
from hub.standard.notice import render_notice
from hub.standard.xml import DocumentError


class EmailChannel(ChannelConfig):
    kind: Literal["email"]
    to: list[EmailStr] = Field(min_length=1, title="Recipients", description="Addresses tasks are mailed to.")


class EmailAdapter(Adapter):
    kind = "email"
    config_model = EmailChannel

    def serve(self, delivery: Delivery) -> Outcome:
        settings = self.context.settings
        try:
            notice = render_notice(
                delivery.document, unit_name=delivery.unit_name, court_name=delivery.court_name
            )
        except DocumentError as exc:
            return Refused(error=f"request {delivery.request_no} cannot be rendered as a notice: {exc}")
        request = notice.request
        link = f"{settings.public_url.rstrip('/')}/tasks/{delivery.task_id}"
        before = (
            "本邮件由执行联动平台自动发送，请勿直接回复。请登录执行联动平台，在本单位收件箱中办理任务"
            f"（任务编号：{delivery.task_id}）并上传回执："
        )
        after = "。办理期限自送达次日起按工作日计算。"
        note_html = (
            '<div class="no-print" style="max-width:190mm;margin:16px auto;padding:8px 12px;'
            'background:#fff8e1;border:1px solid #e0c060;font-family:sans-serif;line-height:1.6">'
            f'{html.escape(before)}<a href="{html.escape(link)}">{html.escape(link)}</a>{after}</div>'
        )
        # The notice is ours and escapes every text, so its first "<body>" is the body tag.
        page = notice.html.replace("<body>", "<body>" + note_html, 1)

        xml_name = f"{request.request_no}.xml"
        if key_of(xml_name) in {key_of(name) for name in delivery.files}:
            xml_name = f"{request.request_no}-request.xml"
        # a document stored before the standard limited names may list one that no header or folder takes
        taken = {key_of(xml_name)}
        files = {safe_name(name, taken=taken): data for name, data in delivery.files.items()}
        mailer = Mailer(settings)
        message = mailer.compose(
            to=[str(address) for address in self.config.to],
            subject=f"【执行联动】{notice.title} {request.request_no}（{delivery.court_name}）",
            text=f"{before}{link}{after}\n\n{notice.text}",
            html=page,
            attachments={xml_name: delivery.document, **files},
        )
        try:
            mailer.send(message)
        except MailError as exc:
            if exc.temporary:
                return RetryLater(delay_s=settings.delivery_retry_base_s, error=str(exc))
            return Refused(error=str(exc))
        return Served(at=now())
