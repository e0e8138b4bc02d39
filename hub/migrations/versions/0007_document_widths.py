"""document widths: columns as wide as the XSD lets a document's values be

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 14:00:00

Found by the hostile corpus on PostgreSQL (SQLite does not enforce VARCHAR lengths): an officer's credential
number and a subject's id number (xs Identifier, 100), the flexible-control custodian (Name, 200) and use
(ShortText, 500), and amounts with 18 digits before the point (Money: totalDigits 18, fractionDigits 2).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> [(column, old type, new type, nullable)]
WIDENED = {
    "requests": [
        ("officer_credential_no", sa.String(40), sa.String(100), True),
        ("subject_id_number", sa.String(60), sa.String(100), False),
    ],
    "items": [
        ("amount", sa.Numeric(18, 2), sa.Numeric(20, 2), True),
        ("flexible_custodian", sa.String(100), sa.String(200), True),
        ("flexible_use", sa.String(200), sa.String(500), True),
    ],
    "found_assets": [("value", sa.Numeric(18, 2), sa.Numeric(20, 2), True)],
    "controls": [
        ("amount", sa.Numeric(18, 2), sa.Numeric(20, 2), True),
        ("flexible_custodian", sa.String(100), sa.String(200), True),
        ("flexible_use", sa.String(200), sa.String(500), True),
    ],
}


def _alter(*, widen: bool) -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old, new, nullable in columns:
                batch_op.alter_column(
                    column,
                    existing_type=old if widen else new,
                    type_=new if widen else old,
                    existing_nullable=nullable,
                )


def upgrade() -> None:
    _alter(widen=True)


def downgrade() -> None:
    _alter(widen=False)
