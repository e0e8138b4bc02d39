"""court-side 查控 service: officers' credential cards, encumbrances on found assets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 00:30:00

A unit's system fetches the officer's 工作证 and 公务证 (zjInfo): an officer's profile gains the work-card
number and the two card images (blobs). A registry's query answer names the seals and mortgages on each
property: found_assets.encumbrances keeps them (a list; empty for assets reported before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("work_card_no", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("work_card_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("credential_card_sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_work_card_sha256_blobs"), "blobs", ["work_card_sha256"], ["sha256"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_users_credential_card_sha256_blobs"),
            "blobs",
            ["credential_card_sha256"],
            ["sha256"],
        )
    with op.batch_alter_table("found_assets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("encumbrances", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("found_assets", schema=None) as batch_op:
        batch_op.drop_column("encumbrances")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_credential_card_sha256_blobs"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_users_work_card_sha256_blobs"), type_="foreignkey")
        batch_op.drop_column("credential_card_sha256")
        batch_op.drop_column("work_card_sha256")
        batch_op.drop_column("work_card_no")
