"""mappings: the actions of each kit destination, and which mapping a delivery runs

The rows of `destination_mappings` for destinations stored before this revision are made by
`switchboard migrate` after it (destinations/adopt.py): their settings are encrypted, and
turning their vendor settings into mappings needs the secret key and the adapters.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "destination_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column(
            "mapping",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["destinations.id"],
            name=op.f("fk_destination_mappings_destination_id_destinations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destination_mappings")),
    )
    with op.batch_alter_table("destination_mappings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_destination_mappings_destination_id_position"),
            ["destination_id", "position"],
            unique=False,
        )

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mapping_id", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint(
            batch_op.f("uq_deliveries_event_id_destination_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_deliveries_event_id_destination_id_mapping_id"),
            ["event_id", "destination_id", "mapping_id"],
        )

    with op.batch_alter_table("destinations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mappings_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("destinations", schema=None) as batch_op:
        batch_op.drop_column("mappings_version")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_deliveries_event_id_destination_id_mapping_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_deliveries_event_id_destination_id"), ["event_id", "destination_id"]
        )
        batch_op.drop_column("mapping_id")

    with op.batch_alter_table("destination_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_destination_mappings_destination_id_position"))

    op.drop_table("destination_mappings")
