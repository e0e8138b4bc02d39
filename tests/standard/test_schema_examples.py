"""The XSD in schemas/ against its examples, hub.standard.codes and docs/STANDARD.md."""

import hashlib
import re
from copy import deepcopy
from enum import StrEnum
from pathlib import Path

import pytest
from lxml import etree

from hub.standard import codes
from schemas import EXAMPLE_FILES_DIR, EXAMPLES_DIR, XSD_PATH

NS = "urn:linkage-hub:enforcement:1.0"
XS = "http://www.w3.org/2001/XMLSchema"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
CODE = r"\b[A-Z][A-Z_]*[A-Z]\b"
STANDARD_MD = Path(__file__).resolve().parents[2] / "docs" / "STANDARD.md"
EXAMPLES = sorted(p.name for p in EXAMPLES_DIR.glob("*.xml"))
CODE_LISTS: list[type[StrEnum]] = [
    codes.Action,
    codes.IdType,
    codes.SubjectKind,
    codes.AssetClass,
    codes.DocumentType,
    codes.Outcome,
    codes.ReasonCode,
    codes.AssetStatus,
    codes.EncumbranceKind,
    codes.AttachmentType,
]


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def parse(name: str) -> etree._ElementTree:
    return etree.parse(str(EXAMPLES_DIR / name))


def text(tree: etree._ElementTree, tag: str) -> str:
    return tree.getroot().findtext(f"{{{NS}}}{tag}")


def xsd_enums() -> dict[str, set[str]]:
    xsd = etree.parse(str(XSD_PATH))
    return {
        st.get("name"): {e.get("value") for e in st.iter(f"{{{XS}}}enumeration")}
        for st in xsd.getroot().iterfind(f"{{{XS}}}simpleType")
    }


def test_examples_exist():
    assert len(EXAMPLES) >= 20
    assert all(n.startswith(("request-", "receipt-")) for n in EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_validates(schema, name):
    tree = parse(name)
    assert schema.validate(tree), f"{name}: {schema.error_log}"
    root = etree.QName(tree.getroot()).localname
    assert root == ("AssistanceRequest" if name.startswith("request-") else "AssistanceReceipt")


def test_every_action_has_a_request_example():
    actions = {text(parse(n), "Action") for n in EXAMPLES if n.startswith("request-")}
    assert actions == set(codes.Action)


def test_every_outcome_has_a_receipt_example():
    outcomes = {text(parse(n), "Outcome") for n in EXAMPLES if n.startswith("receipt-")}
    assert outcomes == set(codes.Outcome)


def test_receipt_numbers_are_distinct():
    numbers = [text(parse(n), "ReceiptNo") for n in EXAMPLES if n.startswith("receipt-")]
    assert len(numbers) == len(set(numbers))


@pytest.mark.parametrize("name", EXAMPLES)
def test_listed_files_exist_with_their_sha256(name):
    listed = [*parse(name).iter(f"{{{NS}}}Document"), *parse(name).iter(f"{{{NS}}}Attachment")]
    assert listed
    for el in listed:
        path = EXAMPLE_FILES_DIR / el.get("filename")
        assert path.is_file(), path
        data = path.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        assert hashlib.sha256(data).hexdigest() == el.get("sha256")


@pytest.mark.parametrize("enum", CODE_LISTS, ids=lambda e: e.__name__)
def test_xsd_enumerations_equal_codes(enum):
    assert xsd_enums()[enum.__name__] == {m.value for m in enum}


def _after(marker: str, pattern: str = CODE) -> set[str]:
    line = next(ln for ln in STANDARD_MD.read_text(encoding="utf-8").splitlines() if marker in ln)
    return set(re.findall(pattern, line.split(marker, 1)[1]))


def _section(title: str) -> str:
    md = STANDARD_MD.read_text(encoding="utf-8")
    return md.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _outcome_table() -> tuple[set[str], set[str]]:
    actions, outcomes = set(), set()
    for line in STANDARD_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and cells[0] not in ("action", "---"):
            actions |= set(re.findall(CODE, cells[0]))
            outcomes |= set(re.findall(CODE, cells[1]))
    return actions, outcomes


def test_standard_md_code_lists_are_in_xsd():
    enums = xsd_enums()
    table_actions, table_outcomes = _outcome_table()
    documented = {
        "Action": _after("see DOMAIN.md:") | table_actions,
        "SubjectKind": _after('<Subject kind="person">', r"\b[a-z]+\b"),
        "IdType": _after("</IdType>"),
        "AssetClass": _after("</AssetClass>"),
        "DocumentType": _after('filename="ruling.pdf" sha256="64 hex"/>'),
        "Outcome": table_outcomes,
        "ReasonCode": set(re.findall(CODE, _section("Reason codes")))
        | _after('<Reason code="', CODE + '(?=")'),
        "AssetStatus": _after("</Status>"),
        "EncumbranceKind": _after("</Kind>"),
        "AttachmentType": _after('<Attachment type="', CODE + '(?=")'),
    }
    expected_sizes = {
        "Action": 11,
        "SubjectKind": 2,
        "IdType": 4,
        "AssetClass": 14,
        "DocumentType": 3,
        "Outcome": 13,
        "ReasonCode": 9,
        "AssetStatus": 6,
        "EncumbranceKind": 6,
        "AttachmentType": 1,
    }
    for name, size in expected_sizes.items():
        assert len(documented[name]) == size, (name, documented[name])
    for name, values in documented.items():
        assert values <= enums[name], (name, values - enums[name])


@pytest.fixture
def freeze() -> etree._ElementTree:
    return parse("request-freeze.xml")


def _set(tree: etree._ElementTree, tag: str, value: str, attr: str | None = None) -> etree._ElementTree:
    tree = deepcopy(tree)
    el = next(tree.getroot().iter(f"{{{NS}}}{tag}"))
    if attr:
        el.set(attr, value)
    else:
        el.text = value
    return tree


@pytest.mark.parametrize(
    ("tag", "value", "attr"),
    [
        ("Action", "GARNISH", None),
        ("Action", " FREEZE", None),
        ("RequestNo", "AT 2026 000123", None),
        ("RequestNo", "AT-1", None),
        ("IssuedAt", "2026-11-27T09:30:00", None),
        ("Document", "1146414fdc4ba18f80cf749b77f1ea72a79f242b686e944593ec4fb28841c07", "sha256"),
        ("Document", "g" * 64, "sha256"),
        ("Document", "../ruling.pdf", "filename"),
        ("Document", ".ruling.pdf", "filename"),
        ("Document", "RECEIPT", "type"),
        ("Amount", "50000.001", None),
        ("Amount", "0", None),
        ("Amount", "cny", "currency"),
        ("Period", "2026-11-27+08:00", "start"),
        ("Unit", "Housing_Fund", "code"),
        ("Subject", "company", "kind"),
        ("IdType", "DRIVING_LICENCE", None),
        ("Name", "  ", None),
        ("AssistanceRequest", "1.1", "version"),
    ],
)
def test_xsd_refuses(schema, freeze, tag, value, attr):
    assert not schema.validate(_set(freeze, tag, value, attr))


@pytest.fixture
def found() -> etree._ElementTree:
    return parse("receipt-found.xml")


def _encumbrances(tree: etree._ElementTree) -> list[etree._Element]:
    return list(tree.getroot().iter(f"{{{NS}}}Encumbrance"))


def test_the_found_example_reports_a_mortgage_and_an_earlier_seal(found):
    kinds = [e.findtext(f"{{{NS}}}Kind") for e in _encumbrances(found)]
    assert kinds == ["MORTGAGE", "SEAL"]


def test_an_asset_without_encumbrance_is_valid_as_before(schema, found):
    for element in _encumbrances(found):
        element.getparent().remove(element)
    assert schema.validate(found), schema.error_log


def test_an_encumbrance_with_its_kind_alone_is_valid(schema, found):
    _, seal = _encumbrances(found)
    for child in list(seal)[1:]:
        seal.remove(child)
    assert schema.validate(found), schema.error_log


@pytest.mark.parametrize(
    ("tag", "value", "attr"),
    [
        ("Kind", "LIEN", None),
        ("Kind", "mortgage", None),
        ("Kind", "", None),
        ("Holder", " ", None),
        ("Amount", "-1.00", None),
        ("Amount", "1.001", None),
        ("Period", "2019-06-10T00:00:00", "start"),
    ],
)
def test_xsd_refuses_a_bad_encumbrance(schema, found, tag, value, attr):
    tree = deepcopy(found)
    [mortgage, _] = _encumbrances(tree)
    element = mortgage.find(f"{{{NS}}}{tag}")
    if attr:
        element.set(attr, value)
    else:
        element.text = value
    assert not schema.validate(tree)
    assert f"{{{NS}}}{tag}" in str(schema.error_log)


def test_xsd_refuses_an_encumbrance_out_of_place_or_without_its_kind(schema, found):
    before_owner = deepcopy(found)
    asset = next(before_owner.getroot().iter(f"{{{NS}}}Asset"))
    mortgage = _encumbrances(before_owner)[0]
    asset.insert(list(asset).index(asset.find(f"{{{NS}}}Owner")), mortgage)
    assert not schema.validate(before_owner)
    kindless = deepcopy(found)
    mortgage = _encumbrances(kindless)[0]
    mortgage.remove(mortgage.find(f"{{{NS}}}Kind"))
    assert not schema.validate(kindless)


def test_xsd_refuses_unit_beside_all_capable(schema, freeze):
    targets = next(freeze.getroot().iter(f"{{{NS}}}Targets"))
    etree.SubElement(targets, f"{{{NS}}}AllCapable")
    assert not schema.validate(freeze)


def test_xsd_refuses_missing_version(schema):
    tree = parse("receipt-controlled.xml")
    del tree.getroot().attrib["version"]
    assert not schema.validate(tree)


@pytest.mark.parametrize("name", ["request-freeze.xml", "receipt-controlled.xml"])
def test_trailing_signature_is_allowed_only_last(schema, name):
    tree = parse(name)
    root = tree.getroot()
    sig = etree.SubElement(root, f"{{{DSIG}}}Signature")
    etree.SubElement(sig, f"{{{DSIG}}}SignedInfo")
    assert schema.validate(tree), schema.error_log
    root.insert(0, sig)
    assert not schema.validate(tree)
