"""The registry's side of the 查控 messages, as its client (yanFranklin/bdc20230104) builds and reads them.

Arguments are Base64 of a UTF-8 XML document whose every non-empty text value is Base64 (UTF-8) once
more (`convertAttrToBase64(..., "encode")`); the CXQQDH sent to kzwsInfo and zjInfo is encoded when built
and again before sending. Answers are read the same way back. Written from the captures in
tests/ckw/recorded/real-estate (a test checks these functions give the captured bytes).
"""

import base64

from lxml import etree


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def unb64(text: str) -> str:
    return base64.b64decode(text).decode("utf-8")


def encode_values(xml: str) -> str:
    """Every non-empty text value of `xml` Base64 (UTF-8), then the whole document Base64."""
    root = etree.fromstring(xml.encode("utf-8"))
    for element in root.iter():
        if len(element) == 0 and element.text:
            element.text = b64(element.text)
    return base64.b64encode(etree.tostring(root, encoding="UTF-8", xml_declaration=False)).decode("ascii")


def decode_answer(answer: str) -> etree._Element:
    """An answer as the client reads it: the document, then every text value and ErrorMSG decoded."""
    root = etree.fromstring(base64.b64decode(answer))
    for element in root.iter():
        if len(element) == 0 and element.text and element.text.strip():
            element.text = unb64(element.text)
        if element.get("ErrorMSG"):
            element.set("ErrorMSG", unb64(element.get("ErrorMSG")))
    return root


def usermarker(username: str, password: str) -> str:
    return encode_values(
        f"<USERMARKER><CONDITION><PASSWORD>{password}</PASSWORD><USERNAME>{username}</USERNAME></CONDITION></USERMARKER>"
    )


def wsbhinfo(request_no: str) -> str:
    """kzwsInfo's and zjInfo's argument: the request no. encoded when built, and again with the values."""
    return encode_values(
        f"<CXQQDHINFO><CONDITION><CXQQDH>{b64(request_no)}</CXQQDH></CONDITION></CXQQDHINFO>"
    )


def feedkz(request_no: str, *, kzzt: int, unit_no: str, cfywh: str = "", start: str = "", end: str = "",
           reason: str = "", at: str = "2026/11/30 10:20:30") -> str:  # fmt: skip
    """feedkzBdcQL's feedbackinfo for one request, in the shape the client sends (a capture's)."""
    optional = "".join(
        f"<{tag}>{value}</{tag}>"
        for tag, value in (
            ("CSKSRQ", start),
            ("CSJSRQ", end),
            ("WNKZYY", reason),
            ("YWH", cfywh),
            ("CFYWH", cfywh),
        )
        if value
    )
    return encode_values(
        f"<Message><Head><CREATETIME>{at}</CREATETIME><DIGITALSIGN>digitalsign</DIGITALSIGN>"
        "<RESPONSECODE>0000</RESPONSECODE></Head><Data><BDCFKLIST><BDCKZJG>"
        f"<CXQQDH>{request_no}</CXQQDH><RESULT>0000</RESULT><KZXXLIST><KZXX><BDCQLLX>3</BDCQLLX>"
        f"<BDCDYH>{unit_no}</BDCDYH><KZZT>{kzzt}</KZZT>{optional}</KZXX></KZXXLIST>"
        "</BDCKZJG></BDCFKLIST></Data></Message>"
    )
