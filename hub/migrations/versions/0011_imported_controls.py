"""imported controls: a request records where it came from

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 12:00:00

Controls made before the hub (on paper, or in another system) are imported from a CSV file
(hub/controls/imports.py): each row becomes the request, task and receipt the hub would have had. The
request says so in requests.origin: "hub" for every request sent through the hub (those already stored
too), "imported" for the record of an imported control. Stepping down keeps the imported controls and their
records, which then read as requests sent through the hub.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=20), server_default="hub", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("origin")
