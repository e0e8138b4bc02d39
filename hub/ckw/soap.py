"""SOAP 1.1 as the 查控 clients speak it: one call in, one string out, or a Fault.

A call is the Body's one element, named by the operation, whose child elements are its arguments, each
a string. Two forms arrive and both are read:
- RPC/encoded (Apache Axis 1, the registries): `soapenv:encodingStyle` on the operation element,
  `xsi:type="xsd:string"` on each argument, which may also be a `href` to a `multiRef` beside it;
- document/literal wrapped (JAX-WS, CXF, Axis2, zeep from the hub's WSDL, suds): `arg0`, `arg1`...
Arguments are taken by position, whatever their names. The answer takes the form of the call: an
Axis client gets `<opResponse encodingStyle=...><opReturn xsi:type="xsd:string">`, the others
`<opResponse><return>`; every client measured reads the first child of the first element either way.

The envelope is read with the hub's hardened parser (no DTD, no entities, size limit). A Fault goes with
HTTP 500 and text/xml (SOAP 1.1, 6.2): Axis 1 reads a Fault only then, never with a 4xx.
"""

from dataclasses import dataclass

from lxml import etree

from hub.standard.xml import DocumentError, parse

ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENVELOPE = "http://www.w3.org/2003/05/soap-envelope"
ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_ARGUMENTS = 8


class Fault(Exception):
    """The call cannot be read (`Client`) or the hub failed (`Server`); the text is for the unit's log."""

    def __init__(self, message: str, *, code: str = "Client") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Call:
    operation: str  # the Body element's local name
    namespace: str | None
    arguments: tuple[str, ...]  # in order; a nil or empty argument is ""
    encoded: bool  # RPC/encoded: answered in kind


def read_call(body: bytes, *, max_bytes: int) -> Call:
    """The call in a SOAP 1.1 request body; Fault for anything else."""
    try:
        tree = parse(body, max_bytes=max_bytes)
    except DocumentError as exc:
        raise Fault(f"无法解析 SOAP 报文：{exc.problems[0].message}") from None
    envelope = tree.getroot()
    if envelope.tag == f"{{{SOAP12_ENVELOPE}}}Envelope":
        raise Fault("本服务只接受 SOAP 1.1 报文", code="VersionMismatch")
    if envelope.tag != f"{{{ENVELOPE}}}Envelope":
        raise Fault(f"报文根元素应为 SOAP 1.1 的 Envelope，而不是 {etree.QName(envelope).localname}")
    header = envelope.find(f"{{{ENVELOPE}}}Header")
    if header is not None:
        for entry in header:
            if isinstance(entry.tag, str) and entry.get(f"{{{ENVELOPE}}}mustUnderstand") in ("1", "true"):
                raise Fault(f"无法处理必须理解的报头 {etree.QName(entry).localname}", code="MustUnderstand")
    bodies = envelope.findall(f"{{{ENVELOPE}}}Body")
    if len(bodies) != 1:  # two: a gateway and the hub could each read another call
        raise Fault("报文缺少 Body" if not bodies else "报文只能有一个 Body")
    body_element = bodies[0]
    elements = _elements(body_element)
    multirefs = {e.get("id"): e for e in elements[1:] if e.get("id")}
    if not elements:
        raise Fault("Body 中没有调用的操作")
    operation = elements[0]
    arguments = _elements(operation)
    if len(arguments) > MAX_ARGUMENTS:
        raise Fault(f"操作 {etree.QName(operation).localname} 的参数过多（{len(arguments)} 个）")
    encoded = operation.get(f"{{{ENVELOPE}}}encodingStyle") == ENCODING or any(
        a.get(f"{{{XSI}}}type") or a.get("href") for a in arguments
    )
    qname = etree.QName(operation)
    return Call(
        operation=qname.localname,
        namespace=qname.namespace,
        arguments=tuple(_text(a, multirefs, position=i + 1) for i, a in enumerate(arguments)),
        encoded=encoded,
    )


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _text(argument: etree._Element, multirefs: dict[str | None, etree._Element], *, position: int) -> str:
    name = etree.QName(argument).localname
    href = argument.get("href")
    if href is not None:
        target = multirefs.get(href[1:]) if href.startswith("#") else None
        if target is None:
            raise Fault(f"第 {position} 个参数 {name} 引用了不存在的 {href}")
        argument = target
    if argument.get(f"{{{XSI}}}nil") in ("1", "true"):
        return ""
    if _elements(argument):
        raise Fault(f"第 {position} 个参数 {name} 应为字符串，而不是 XML 元素")
    return "".join(argument.itertext())  # the whole text, also when a comment splits it


def answer(call: Call, value: str, *, namespace: str) -> bytes:
    """The SOAP answer carrying `value`, in the form of the call, its wrapper in the service's `namespace`."""
    envelope = etree.Element(f"{{{ENVELOPE}}}Envelope", nsmap={"soapenv": ENVELOPE, "xsd": XSD, "xsi": XSI})
    body = etree.SubElement(envelope, f"{{{ENVELOPE}}}Body")
    wrapper = etree.SubElement(body, f"{{{namespace}}}{call.operation}Response", nsmap={"ns1": namespace})
    if call.encoded:
        wrapper.set(f"{{{ENVELOPE}}}encodingStyle", ENCODING)
        result = etree.SubElement(wrapper, f"{call.operation}Return")
        result.set(f"{{{XSI}}}type", "xsd:string")
    else:
        result = etree.SubElement(wrapper, "return")
    result.text = value
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def fault(error: Fault) -> bytes:
    """A SOAP 1.1 Fault; its faultstring is what the unit's log will show."""
    envelope = etree.Element(f"{{{ENVELOPE}}}Envelope", nsmap={"soapenv": ENVELOPE})
    body = etree.SubElement(envelope, f"{{{ENVELOPE}}}Body")
    element = etree.SubElement(body, f"{{{ENVELOPE}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soapenv:{error.code}"
    etree.SubElement(element, "faultstring").text = str(error)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
