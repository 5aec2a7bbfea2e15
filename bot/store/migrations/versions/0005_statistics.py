"""daily statistics that outlive the transcripts (issue 11)

Revision ID: 0005_statistics
Revises: 0004_gateway_state
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_statistics'
down_revision = '0004_gateway_state'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_created_at', ['created_at'], unique=False)
    op.create_table('statistics_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('figure', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'channel', 'figure', 'detail', name=op.f('pk_statistics_daily'))
    )
    op.create_table('statistics_cache_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('conversations', sa.Integer(), nullable=False),
    sa.Column('last_change', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_statistics_cache_days'))
    )
    op.create_table('statistics_cache',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('figure', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['day'], ['statistics_cache_days.day'], name=op.f('fk_statistics_cache_day_statistics_cache_days'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'channel', 'figure', 'detail', name=op.f('pk_statistics_cache'))
    )


def downgrade() -> None:
    op.drop_table('statistics_cache')
    op.drop_table('statistics_cache_days')
    op.drop_table('statistics_daily')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_created_at')
