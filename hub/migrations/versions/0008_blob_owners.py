"""blob owners: a file belongs to the court or unit that sent it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 22:00:00

A document may list a file by sha256 without sending its bytes when the store holds them. Until now any
court could so list (and then download) another court's file, and learn which files exist. From here a
hash names a file only within its sender's scope; the rows are filled from the documents and files that
each court's requests and each unit's receipts already hold.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNED = [
    ("court", "SELECT document_sha256 AS sha256, court_code AS code FROM requests"),
    (
        "court",
        "SELECT f.sha256 AS sha256, r.court_code AS code FROM request_files f JOIN requests r ON r.id = f.request_id",
    ),
    ("unit", "SELECT document_sha256 AS sha256, unit_code AS code FROM receipts"),
    (
        "unit",
        "SELECT f.sha256 AS sha256, r.unit_code AS code FROM receipt_files f JOIN receipts r ON r.id = f.receipt_id",
    ),
]


def upgrade() -> None:
    op.create_table(
        "blob_owners",
        sa.Column("sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), primary_key=True),
        sa.Column("owner_kind", sa.String(10), primary_key=True),
        sa.Column("owner_code", sa.String(40), primary_key=True),
    )
    for kind, select in OWNED:
        op.execute(
            f"INSERT INTO blob_owners (sha256, owner_kind, owner_code) "
            f"SELECT DISTINCT owned.sha256, '{kind}', owned.code FROM ({select}) AS owned "
            f"WHERE NOT EXISTS (SELECT 1 FROM blob_owners o WHERE o.sha256 = owned.sha256 "
            f"AND o.owner_kind = '{kind}' AND o.owner_code = owned.code)"
        )


def downgrade() -> None:
    op.drop_table("blob_owners")
