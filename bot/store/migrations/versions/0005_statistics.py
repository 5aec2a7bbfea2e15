"""daily statistics that outlive the transcripts (issue 11)

Revision ID: 0005_statistics
Revises: 0004_gateway_state
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0005_statistics'
down_revision = '0004_gateway_state'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
