"""hardening: the durable Telegram outbox, and the bot's sent Telegram messages (issue 12)

Revision ID: 0007_hardening
Revises: 0006_inbox_models
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_hardening'
down_revision = '0006_inbox_models'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('telegram_outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('leased_by', sa.String(length=32), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_telegram_outbox_conversation_id_conversations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_outbox'))
    )
    with op.batch_alter_table('telegram_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_telegram_outbox_chat_id_id', ['chat_id', 'id'], unique=False)

    op.create_table('telegram_sent',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('message_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', 'message_id', name=op.f('pk_telegram_sent'))
    )
    with op.batch_alter_table('telegram_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_sent_sent_at'), ['sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('telegram_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_sent_sent_at'))

    op.drop_table('telegram_sent')

    with op.batch_alter_table('telegram_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_telegram_outbox_chat_id_id')

    op.drop_table('telegram_outbox')
