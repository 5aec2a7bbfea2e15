"""staff console: sessions, login throttle, canned answers, private notes

Revision ID: 0002_staff_console
Revises: 0001
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0002_staff_console'
down_revision = '0001'
branch_labels = None
depends_on = None

# A start for the helpdesk; staff change them under "Standardsvar" in the console.
CANNED_ANSWERS = [
    ("Et øjeblik", "Et øjeblik. Jeg ser på det med det samme."),
    ("Hvad har du prøvet?", "Vil du skrive, hvad du har prøvet indtil nu? Så kan jeg bedre hjælpe dig."),
    ("Bestil en tid", "Det er lettere at klare ved et møde i borgerservice. Vil du have, at jeg giver dig tilbage til chatbotten, så den kan bestille en tid til dig?"),
    ("Andet?", "Er der andet, jeg kan hjælpe dig med?"),
]


def upgrade() -> None:
    op.create_table('staff_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_staff_sessions_staff_id_staff_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_staff_sessions_staff_id', ['staff_id'], unique=False)

    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    canned = op.create_table('canned_answers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['staff_members.id'], name=op.f('fk_canned_answers_updated_by_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_answers'))
    )
    op.create_table('conversation_notes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_notes_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_conversation_notes_staff_id_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_notes'))
    )
    with op.batch_alter_table('conversation_notes', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_notes_conversation_id', ['conversation_id'], unique=False)

    now = datetime.now(timezone.utc)
    op.bulk_insert(canned, [{'title': title, 'text': text, 'updated_at': now} for title, text in CANNED_ANSWERS])


def downgrade() -> None:
    with op.batch_alter_table('conversation_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_notes_conversation_id')

    op.drop_table('conversation_notes')
    op.drop_table('canned_answers')
    op.drop_table('login_throttle')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_sessions_staff_id')

    op.drop_table('staff_sessions')
