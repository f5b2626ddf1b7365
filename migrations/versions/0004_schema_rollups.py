"""schema rollups and event delivery rollups

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CODE_NOT_NULL = sa.text("code IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "schema_source_days",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_schema_source_days_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "day", name=op.f("pk_schema_source_days")),
    )
    op.create_table(
        "schema_event_days",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event_key", sa.String(length=270), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_schema_event_days_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "day", "event_key", name=op.f("pk_schema_event_days")),
    )
    op.create_table(
        "schema_property_days",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=270), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_schema_property_days_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "source_id", "event_key", "day", "kind", "path", name=op.f("pk_schema_property_days")
        ),
    )
    op.create_table(
        "delivery_rollups",
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("span", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("latency", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["destinations.id"],
            name=op.f("fk_delivery_rollups_destination_id_destinations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "destination_id",
            "span",
            "bucket",
            "status",
            "code",
            "latency",
            name=op.f("pk_delivery_rollups"),
        ),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_destination_id_status_code_id"),
            ["destination_id", "status", "code", "id"],
            unique=False,
            postgresql_where=_CODE_NOT_NULL,
            sqlite_where=_CODE_NOT_NULL,
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_destination_id_status_code_id"))
    op.drop_table("delivery_rollups")
    op.drop_table("schema_property_days")
    op.drop_table("schema_event_days")
    op.drop_table("schema_source_days")
