"""Ways for threads to share the XSD without reading each other's errors (issue 13), timed.

- lock: one schema, built once; each validation and the reading of its error_log under a lock;
- per-thread: one schema per thread, built on the thread's first document under a build lock;
- fresh: a schema built for each document (lxml has no cheaper copy).

Each measurement starts its threads afresh (so per-thread pays its builds, as a new thread of a server
does), releases them together and has each parse and validate documents in turn, one valid and one
invalid (whose errors are read), for a fixed number of documents per thread.

Run: .venv/bin/python -m bench.xsd_threads [--documents 4000] [--threads 1,2,8,16] [--repeat 5]
"""

import argparse
import statistics
import threading
import time
from collections.abc import Callable

from lxml import etree

from hub.standard.xml import parse
from schemas import EXAMPLES_DIR, XSD_PATH

Check = Callable[[etree._ElementTree], list[str]]


def build() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def with_lock() -> Check:
    xsd, lock = build(), threading.Lock()

    def check(tree: etree._ElementTree) -> list[str]:
        with lock:
            return [] if xsd.validate(tree) else [e.message for e in xsd.error_log]

    return check


def per_thread() -> Check:
    local, build_lock = threading.local(), threading.Lock()

    def check(tree: etree._ElementTree) -> list[str]:
        xsd = getattr(local, "xsd", None)
        if xsd is None:
            with build_lock:
                xsd = local.xsd = build()
        return [] if xsd.validate(tree) else [e.message for e in xsd.error_log]

    return check


def fresh() -> Check:
    build_lock = threading.Lock()

    def check(tree: etree._ElementTree) -> list[str]:
        with build_lock:
            xsd = build()
        return [] if xsd.validate(tree) else [e.message for e in xsd.error_log]

    return check


STRATEGIES = {"lock": with_lock, "per-thread": per_thread, "fresh": fresh}


def documents() -> tuple[bytes, bytes]:
    good = (EXAMPLES_DIR / "receipt-controlled.xml").read_bytes()
    return good, good.replace(b"<Outcome>CONTROLLED</Outcome>", b"<Outcome>MAYBE</Outcome>")


def run(check: Check, threads: int, per_thread_documents: int) -> tuple[float, float]:
    """Documents per second over all threads (wall clock, from the barrier to the last thread's end), and
    the process's CPU time per document in microseconds."""
    good, bad = documents()
    barrier = threading.Barrier(threads + 1)
    wrong: list[int] = []

    def work() -> None:
        barrier.wait()
        for i in range(per_thread_documents):
            errors = check(parse(bad if i % 2 else good))
            if bool(errors) != bool(i % 2) or (errors and "MAYBE" not in errors[0]):
                wrong.append(i)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start, cpu = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.join()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert not wrong, f"{len(wrong)} documents judged wrongly"
    checked = threads * per_thread_documents
    return checked / elapsed, cpu / checked * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=4000, help="per thread")
    parser.add_argument("--threads", default="1,2,8,16")
    parser.add_argument("--repeat", type=int, default=5, help="the median of this many runs")
    args = parser.parse_args()
    counts = [int(n) for n in args.threads.split(",")]
    start = time.perf_counter()
    for _ in range(50):
        build()
    print(f"building the XSD: {(time.perf_counter() - start) / 50 * 1000:.2f} ms")
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for _ in range(args.repeat):  # the strategies take turns, so a busy moment of the machine hits all
        for name, make in STRATEGIES.items():
            documents_each = args.documents if name != "fresh" else max(args.documents // 20, 10)
            for n in counts:
                results.setdefault((name, n), []).append(run(make(), n, documents_each))
    print("documents/s (median), CPU µs per document (median)")
    print(f"{'threads':<12}" + "".join(f"{n:>18}" for n in counts))
    for name in STRATEGIES:
        cells = []
        for n in counts:
            rate = statistics.median(r for r, _ in results[(name, n)])
            cpu = statistics.median(c for _, c in results[(name, n)])
            cells.append(f"{rate:>10,.0f} {cpu:>5.0f}µs")
        print(f"{name:<12}" + "".join(f"{c:>18}" for c in cells))


if __name__ == "__main__":
    main()
