"""The floor the hub's HTTP figures are measured against: the least a service can do with the same document.

A minimal FastAPI app with the hub's two write routes, served by uvicorn exactly as `hub serve` serves
the hub (uvicorn.run with the same host, port and log level: one process, the default loop and HTTP
implementation, access log on). Each POST reads the body, parses it with lxml (a parser configured as
the hub's: no DTD, no entities, no network), validates it against the hub's XSD, inserts one row into a
one-table database and answers 201 with JSON. No authentication, no rules past the XSD, no tasks, no
audit chain, no blob store: that is the hub's work, and what the benchmark weighs.

The database is of the same kind as the hub's and opened by the hub's engine factory (hub.db.make_engine:
SQLite in WAL mode with synchronous=NORMAL and BEGIN IMMEDIATE, or PostgreSQL through psycopg), so that
the two differ in what they do per call, not in how they reach the database.

Run: .venv/bin/python -m bench.floor --database-url URL [--host 127.0.0.1] [--port 8001]
"""

import argparse
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from lxml import etree
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, insert

from hub.db import make_engine
from schemas import XSD_PATH

NS = "{urn:linkage-hub:enforcement:1.0}"
metadata = MetaData()
documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("number", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def create_app(engine: Engine) -> FastAPI:
    """The floor over `engine`, whose one table exists (see prepare)."""
    parser = _parser()
    xsd = etree.XMLSchema(etree.parse(str(XSD_PATH), parser))
    app = FastAPI(title="floor")

    async def body(request: Request) -> bytes:
        return await request.body()

    Body = Annotated[bytes, Depends(body)]

    def store(data: bytes, kind: str, number_tag: str) -> dict[str, object]:
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise HTTPException(400, f"not well-formed XML: {exc}") from None
        if not xsd.validate(root):
            raise HTTPException(422, str(xsd.error_log.last_error))
        number = root.findtext(f"{NS}{number_tag}")
        with engine.begin() as conn:
            row = conn.execute(
                insert(documents).values(
                    kind=kind, number=number, size=len(data), received_at=datetime.now(UTC)
                )
            )
            row_id = row.inserted_primary_key[0]
        return {"id": row_id, "kind": kind, "number": number}

    @app.post("/api/v1/requests", status_code=201)
    def post_request(data: Body) -> dict[str, object]:
        return store(data, "request", "RequestNo")

    @app.post("/api/v1/tasks/{task_id}/receipts", status_code=201)
    def post_receipt(task_id: int, data: Body) -> dict[str, object]:
        return store(data, "receipt", "ReceiptNo")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def prepare(url: str) -> None:
    """Create the floor's table in the (empty) database at `url`."""
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    prepare(args.database_url)
    # as hub/cli.py's serve does: uvicorn.run(app, host=host, port=port, log_level="info")
    uvicorn.run(create_app(make_engine(args.database_url)), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
