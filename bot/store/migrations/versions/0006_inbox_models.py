"""the inbox of missed messages, kept examples and trained models (issue 11)

Revision ID: 0006_inbox_models
Revises: 0005_statistics
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0006_inbox_models'
down_revision = '0005_statistics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
