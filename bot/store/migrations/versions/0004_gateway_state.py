"""explicit gateway state: each message's delivery to Rasa, and whether Rasa is paused (issue 9)

Revision ID: 0004_gateway_state
Revises: 0003_telegram_updates
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0004_gateway_state'
down_revision = '0003_telegram_updates'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
