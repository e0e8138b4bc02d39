"""The load generator: fixed concurrency, raw HTTP/1.1 keep-alive, to servers on 127.0.0.1 only.

It runs as a process of its own (`python -m bench.load SPEC.json`, printing its result as JSON), the same
for the hub and for the floor. The machine it was written for has 2 cores, so it competes with the server
it measures: it is kept cheap. Every request is rendered to bytes before the clock starts, the client is
asyncio streams with no HTTP library, and `concurrency` connections each send one request, read the whole
response, and send the next (closed loop). Connection i goes to target i mod len(targets): with two
server processes the load is spread evenly.

SPEC: {"targets": [[host, port], ...], "concurrency": 8, "method": "POST", "path": "/api/v1/tasks/{task}/receipts",
       "headers": {"Authorization": "Bearer ..."}, "body": "<xml ... {number} ...>", "expect": 201,
       "warmup": 20, "params": [{"task": 1, "number": "R-1"}, ...]}
Each `{name}` in path and body is replaced by the call's params; the first `warmup` calls are sent
before the measured ones and not counted. The result: calls, seconds, per second, p50/p99 latency in
milliseconds (from the first byte written to the last byte read), answers by status, the first bodies
that were not `expect`, and the client's own CPU seconds.
"""

import asyncio
import json
import sys
import time
from itertools import count

LOOPBACK = "127.0.0.1"


def render(spec: dict) -> list[bytes]:
    """Every call's request as the bytes written to the socket."""
    method, headers = spec.get("method", "POST"), spec.get("headers", {})
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    requests = []
    for params in spec["params"]:
        path, body = spec["path"], spec.get("body", "")
        for name, value in params.items():
            path = path.replace("{" + name + "}", str(value))
            body = body.replace("{" + name + "}", str(value))
        data = body.encode()
        requests.append(
            f"{method} {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\n{head}Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
    return requests


async def answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one response (Content-Length or chunked): its status and body."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    parts = []
    while size := int((await reader.readline()).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readline()
    await reader.readline()
    return status, b"".join(parts)


async def drive(targets: list[tuple[str, int]], requests: list[bytes], concurrency: int, expect: int) -> dict:
    """Send `requests` over `concurrency` connections; latencies in seconds and answers by status."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    unexpected: list[str] = []
    taken = count()

    async def connection(host: str, port: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (i := next(taken)) < len(requests):
                started = time.perf_counter()
                writer.write(requests[i])
                try:
                    status, body = await answer(reader)
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    status, body = 0, b"connection closed"
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
                if status != expect and len(unexpected) < 3:
                    unexpected.append(f"{status}: {body[:300].decode(errors='replace')}")
        finally:
            writer.close()

    await asyncio.gather(*(connection(*targets[c % len(targets)]) for c in range(concurrency)))
    return {"latencies": latencies, "statuses": statuses, "unexpected": unexpected}


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))]


def run(spec: dict) -> dict:
    targets = [(host, int(port)) for host, port in spec["targets"]]
    if any(host != LOOPBACK for host, _ in targets):
        raise SystemExit(f"the load generator only targets {LOOPBACK}")
    requests = render(spec)
    warmup, concurrency, expect = spec.get("warmup", 0), spec.get("concurrency", 8), spec.get("expect", 201)
    if warmup:
        asyncio.run(drive(targets, requests[:warmup], concurrency, expect))
    measured = requests[warmup:]
    cpu, started = time.process_time(), time.perf_counter()
    done = asyncio.run(drive(targets, measured, concurrency, expect))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    latencies = sorted(done["latencies"])
    return {
        "calls": len(measured),
        "seconds": seconds,
        "per_second": len(measured) / seconds,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "statuses": {str(k): v for k, v in sorted(done["statuses"].items())},
        "unexpected": done["unexpected"],
        "client_cpu_s": cpu,
        "concurrency": concurrency,
    }


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as spec:
        result = run(json.load(spec))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
