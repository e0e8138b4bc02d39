"""libxml2 under threads, as a server's first seconds run it: many threads at once in a fresh process, each
building (on first use) and using the XSD, the notice's stylesheet, the signature checks and a 查控 profile.

Issue 13: threads building their own schemas at once read the XSD wrong or corrupted the heap, and
signxml's shared schema let one thread's errors be read by another. Each process here starts its threads
together (a Barrier) with nothing built yet; every valid document must pass, every invalid one must be
refused with its own errors (each names a value only its thread used), nothing may raise anything else,
and the process must not crash.
"""

import datetime as dt
import json
import subprocess
import sys
import time

import pytest
from conftest import example

from hub.keys import self_signed
from hub.standard.signatures import sign_document, verify_signature
from hub.standard.xml import DocumentError, parse

PROCESSES = 24
AT_ONCE = 2  # the machine's cores
THREADS = 16
ROUNDS = 8  # per thread, every kind of work twice

SCRIPT = r"""
import base64, datetime as dt, json, sys, threading
from cryptography.hazmat.primitives import serialization
from adapters.ckw.profile import Role
from adapters.ckw.real_estate import RealEstateProfile
from adapters.ckw.profile import FormatError
from hub.standard.documents import read_request
from hub.standard.write_receipt import write_receipt
from hub.standard.notice import render_notice
from hub.standard.signatures import sign_document, verify_signature
from hub.standard.xml import DocumentError, parse, validate_schema
from schemas import EXAMPLES_DIR

threads, rounds = int(sys.argv[1]), int(sys.argv[2])
pem = json.load(sys.stdin)
key = serialization.load_pem_private_key(pem["key"].encode(), password=None)
cert = pem["cert"]
RECEIPT = (EXAMPLES_DIR / "receipt-controlled.xml").read_text()
FREEZE = (EXAMPLES_DIR / "request-freeze.xml").read_text()
QUERY = (EXAMPLES_DIR / "request-query.xml").read_text()
FEEDBACK = open("tests/ckw/recorded/real-estate/07_feedBdcQL.feedbackinfo.xml", encoding="utf-8").read()
PROFILE = RealEstateProfile()
NOW = dt.datetime.now(dt.UTC)
failures = []


def own(problems, mark):
    # the refusal lists problems, and each is about this thread's document
    return bool(problems) and all(mark in p.message for p in problems)


def xsd(tag):
    good = RECEIPT.replace("<ReceiptNo>", f"<ReceiptNo>{tag}-").encode()
    if problems := validate_schema(parse(good)):
        return f"valid receipt refused: {problems}"
    bad = RECEIPT.replace("<Outcome>CONTROLLED", f"<Outcome>MAYBE{tag}").encode()
    problems = validate_schema(parse(bad))
    if not own(problems, f"MAYBE{tag}"):
        return f"MAYBE{tag}: {[p.message for p in problems]}"


def notice(tag):
    unit = f"单位{tag}"
    if unit not in render_notice(FREEZE.encode(), unit_name=unit, court_name="安图县人民法院").html:
        return f"the notice to {unit} does not name it"
    bad = FREEZE.replace("AT-2026-000123", f"BAD_{tag}").encode()
    try:
        render_notice(bad, unit_name=unit, court_name="安图县人民法院")
    except DocumentError as exc:
        if not own(exc.problems, f"BAD_{tag}"):
            return f"BAD_{tag}: {[p.message for p in exc.problems]}"
    else:
        return f"BAD_{tag}: rendered"


def signature(tag):
    signed = sign_document(FREEZE.replace("AT-2026-000123", f"SIG-{tag}").encode(), key=key, cert_pem=cert.encode())
    check = dict(sender="court", certificates=[cert], required=True, at=NOW)
    if verify_signature(parse(signed), **check) is None:
        return "a signed request has no signer"
    bogus = signed.replace(b"<ds:SignedInfo>", f"<ds:SignedInfo><ds:Bogus{tag}/>".encode(), 1)
    try:
        verify_signature(parse(bogus), **check)
    except DocumentError as exc:
        if exc.code != "signature_invalid" or not own(exc.problems, f"Bogus{tag}"):
            return f"Bogus{tag}: {exc.code} {[p.message for p in exc.problems]}"
    else:
        return f"Bogus{tag}: verified"


def b64(text):
    return base64.b64encode(text.encode()).decode()


def registry_feedback(tag):
    # a registry's query result (an inner document, read by the hardened parser) written as a receipt
    number = f"FMT-{tag}"
    [fed] = PROFILE.feedback(Role.QUERY_FEEDBACK, b64(FEEDBACK.replace("MjAyMTEyMzEwMDAwMg==", b64(number))))
    if fed.request_no != number:
        return f"{number}: read as {fed.request_no}"
    request = read_request(parse(QUERY.replace("AT-2026-000101", number).encode()))
    receipt = write_receipt(fed.draft(request, "real-estate", f"CK-{tag}"))
    if validate_schema(parse(receipt)) or number.encode() not in receipt:
        return f"{number}: the receipt"
    try:
        PROFILE.feedback(Role.QUERY_FEEDBACK, b64(f"<Message><Data><BAD_{tag}></Data></Message>"))
    except FormatError as exc:
        if f"BAD_{tag}" not in str(exc):
            return f"BAD_{tag}: {exc}"
    else:
        return f"BAD_{tag}: read"


def names(tag):
    # names no document had: each thread adds its own to its string dictionary while the others add theirs
    extra = [f"Extra{tag}n{j}" for j in range(40)]
    tree = parse(RECEIPT.replace("</Final>", "</Final>" + "".join(f"<{n}/>" for n in extra)).encode())
    found = [e.tag.split("}")[-1] for e in tree.getroot()][6 : 6 + len(extra)]  # after <Final>
    if found != extra:
        return f"Extra{tag}: read as {[f for f, e in zip(found, extra) if f != e][:3]}"
    if not own(problems := validate_schema(tree), f"Extra{tag}n0"):
        return f"Extra{tag}: {[p.message for p in problems]}"


WORK = [xsd, notice, signature, registry_feedback, names]
start = threading.Barrier(threads)


def run(i):
    start.wait()
    for k in range(rounds):
        work = WORK[(i + k) % len(WORK)]
        try:
            failure = work(f"{i}x{k}")
        except BaseException as exc:
            failure = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
        if failure:
            failures.append(f"{work.__name__}: {failure}"[:600])


workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
print(json.dumps(failures))
"""


def test_many_threads_build_and_use_every_libxml2_structure_at_once_in_fresh_processes():
    identity = self_signed("安图县人民法院")
    pem = json.dumps({"key": identity.key_pem.decode(), "cert": identity.cert_pem.decode()})
    command = [sys.executable, "-c", SCRIPT, str(THREADS), str(ROUNDS)]
    broken: list[str] = []
    started = time.monotonic()
    for _ in range(0, PROCESSES, AT_ONCE):
        running = [
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(AT_ONCE)
        ]
        for process in running:
            out, err = process.communicate(pem.encode(), timeout=120)
            if process.returncode != 0:
                broken.append(f"exit {process.returncode}: {err.decode(errors='replace')[-600:]}")
            elif failures := json.loads(out):
                broken.append(f"{len(failures)} failures: {failures[:3]}")
    print(f"{PROCESSES} processes of {THREADS} threads in {time.monotonic() - started:.1f} s")
    assert not broken, f"{len(broken)} of {PROCESSES} processes went wrong: {broken[:3]}"


def test_a_signature_its_schema_refuses_is_signature_invalid_naming_what_is_wrong():
    """signxml's schema check let lxml's DocumentInvalid out of verify_signature (a 500 for the sender)."""
    court = self_signed("安图县人民法院")
    signed = sign_document(example("request-freeze.xml"), key=court.key, cert_pem=court.cert_pem)
    bogus = signed.replace(b"<ds:SignedInfo>", b"<ds:SignedInfo><ds:Extra/>", 1)
    with pytest.raises(DocumentError) as refused:
        verify_signature(
            parse(bogus),
            sender="court J2426",
            certificates=[court.cert_pem.decode()],
            required=False,
            at=dt.datetime.now(dt.UTC),
        )
    assert refused.value.code == "signature_invalid"
    assert [p.path for p in refused.value.problems] == ["/AssistanceRequest/Signature"]
    assert "ds:Extra" in refused.value.problems[0].message
