"""How fast the hub checks a document: lxml (the hot path) against xmlschema, on the README's freeze.

Run: .venv/bin/python bench/validate.py [seconds per measurement]
"""

import sys
import time

import xmlschema
from lxml import etree

from hub.standard.rules import inspect
from hub.standard.xml import parse, schema
from schemas import EXAMPLES_DIR, XSD_PATH


def rate(label: str, work, seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            work()
        count += 100
    per_second = count / elapsed
    print(f"{label:<48} {per_second:>10,.0f}/s")
    return per_second


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    data = (EXAMPLES_DIR / "request-freeze.xml").read_bytes()
    elements = sum(1 for e in etree.fromstring(data).iter() if isinstance(e.tag, str))
    print(f"request-freeze.xml: {len(data)} bytes, {elements} elements")
    xsd = schema()
    rate("lxml: parse (hardened) + XSD", lambda: xsd.errors(parse(data)), seconds)
    rate("hub: inspect (parse + XSD + rules + typed view)", lambda: inspect(data), seconds)
    slow = xmlschema.XMLSchema(str(XSD_PATH))
    rate("xmlschema: validate", lambda: slow.validate(data.decode()), seconds)


if __name__ == "__main__":
    main()
