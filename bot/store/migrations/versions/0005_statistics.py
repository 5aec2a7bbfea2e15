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
    op.create_table('statistics_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('figure', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'channel', 'figure', 'detail', name=op.f('pk_statistics_daily'))
    )


def downgrade() -> None:
    op.drop_table('statistics_daily')
