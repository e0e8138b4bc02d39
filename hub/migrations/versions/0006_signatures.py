"""signatures: certificates per court and unit, the signer of each request and receipt

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("courts", "units"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("certificates", sa.JSON(), nullable=False, server_default="[]"))
            batch_op.add_column(
                sa.Column("require_signature", sa.Boolean(), nullable=False, server_default=sa.false())
            )
    for table in ("requests", "receipts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("signed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in ("requests", "receipts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("signed_by")
    for table in ("courts", "units"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("require_signature")
            batch_op.drop_column("certificates")
