"""telegram updates taken, so a redelivered update is handled once across restarts and replicas

Revision ID: 0003_telegram_updates
Revises: 0002_staff_console
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_telegram_updates'
down_revision = '0002_staff_console'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('telegram_updates',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id')
    )
    with op.batch_alter_table('telegram_updates', schema=None) as batch_op:
        batch_op.create_index('ix_telegram_updates_received_at', ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('telegram_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_telegram_updates_received_at')
    op.drop_table('telegram_updates')
