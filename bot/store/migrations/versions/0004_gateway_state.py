"""explicit gateway state: each message's delivery to Rasa, and whether Rasa is paused (issue 9)

Until now both were inferred: the delivery from `payload["rasa"]`, the pause from comparing the
latest handoff with the newest message Rasa took. The upgrade writes down what that inference said,
once, so conversations going on during the upgrade keep their pending messages and their `resume`.

Revision ID: 0004_gateway_state
Revises: 0003_telegram_updates
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


revision = '0004_gateway_state'
down_revision = '0003_telegram_updates'
branch_labels = None
depends_on = None

messages = sa.table(
    'messages',
    sa.column('id', sa.Integer),
    sa.column('conversation_id', sa.String),
    sa.column('sender', sa.String),
    sa.column('payload', sa.JSON),
    sa.column('rasa_status', sa.String),
    sa.column('created_at', sa.DateTime(timezone=True)),
)
conversations = sa.table('conversations', sa.column('id', sa.String), sa.column('rasa_paused_at', sa.DateTime(timezone=True)))
handoffs = sa.table(
    'handoffs',
    sa.column('conversation_id', sa.String),
    sa.column('outcome', sa.String),
    sa.column('requested_at', sa.DateTime(timezone=True)),
    sa.column('ended_at', sa.DateTime(timezone=True)),
)


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite gives the stored UTC time back without its zone.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rasa_paused_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rasa_status', sa.String(length=8), nullable=True))
        batch_op.create_index('ix_messages_rasa_status', ['rasa_status', 'conversation_id', 'id'], unique=False)

    connection = op.get_bind()
    taken: dict[str, datetime] = {}  # per conversation: when the newest message Rasa took was written
    rows = connection.execute(
        sa.select(messages.c.id, messages.c.conversation_id, messages.c.payload, messages.c.created_at).where(
            messages.c.sender == 'citizen'
        )
    ).all()
    for message_id, conversation_id, payload, created_at in rows:
        payload = dict(payload or {})
        status = payload.pop('rasa', None)
        if status == 'sent':
            created_at = _utc(created_at)
            taken[conversation_id] = max(taken.get(conversation_id, created_at), created_at)
        connection.execute(
            sa.update(messages)
            .where(messages.c.id == message_id)
            .values(rasa_status=status, payload=payload or sa.null())
        )

    # A live handoff paused Rasa; a booking the action server recorded did not (it wrote a row that
    # ended as it was made, while a live handoff that timed out into a booking waited first).
    latest_live: dict[str, datetime] = {}
    for conversation_id, outcome, requested_at, ended_at in connection.execute(
        sa.select(handoffs.c.conversation_id, handoffs.c.outcome, handoffs.c.requested_at, handoffs.c.ended_at)
    ):
        requested_at, ended_at = _utc(requested_at), _utc(ended_at)
        recorded_by_actions = (
            outcome == 'booking_offered' and ended_at is not None and ended_at - requested_at < timedelta(seconds=2)
        )
        if not recorded_by_actions and requested_at > latest_live.get(conversation_id, requested_at - timedelta(1)):
            latest_live[conversation_id] = requested_at
    for conversation_id, paused_at in latest_live.items():
        if conversation_id not in taken or taken[conversation_id] < paused_at:
            connection.execute(
                sa.update(conversations).where(conversations.c.id == conversation_id).values(rasa_paused_at=paused_at)
            )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(messages.c.id, messages.c.payload, messages.c.rasa_status).where(messages.c.rasa_status.is_not(None))
    ).all()
    for message_id, payload, status in rows:
        connection.execute(
            sa.update(messages).where(messages.c.id == message_id).values(payload={**(payload or {}), 'rasa': status})
        )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_rasa_status')
        batch_op.drop_column('rasa_status')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('rasa_paused_at')
