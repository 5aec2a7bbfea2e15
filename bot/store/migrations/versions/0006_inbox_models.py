"""the inbox of missed messages, kept examples and trained models (issue 11)

Revision ID: 0006_inbox_models
Revises: 0005_statistics
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_inbox_models'
down_revision = '0005_statistics'
branch_labels = None
depends_on = None

INBOX_STATUS = ('open', 'assigned', 'out_of_scope', 'dismissed')
MODEL_STATE = ('training', 'failed', 'failed_gate', 'ready', 'serving', 'retired')


def upgrade() -> None:
    op.create_table('inbox_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('normalised', sa.String(length=255), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum(*INBOX_STATUS, name='inbox_status', native_enum=False, length=16), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_members.id'], name=op.f('fk_inbox_items_decided_by_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items')),
    sa.UniqueConstraint('normalised', name=op.f('uq_inbox_items_normalised'))
    )
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_items_status', ['status'], unique=False)

    op.create_table('inbox_sightings',
    sa.Column('event_key', sa.String(length=300), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('guess_1', sa.String(length=64), nullable=True),
    sa.Column('guess_1_confidence', sa.Float(), nullable=True),
    sa.Column('guess_2', sa.String(length=64), nullable=True),
    sa.Column('guess_2_confidence', sa.Float(), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['inbox_items.id'], name=op.f('fk_inbox_sightings_item_id_inbox_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_key', name=op.f('pk_inbox_sightings'))
    )
    with op.batch_alter_table('inbox_sightings', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_sightings_item_id', ['item_id'], unique=False)
        batch_op.create_index('ix_inbox_sightings_conversation_id', ['conversation_id'], unique=False)
        batch_op.create_index('ix_inbox_sightings_seen_at', ['seen_at'], unique=False)

    op.create_table('kept_examples',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('kept_by', sa.Integer(), nullable=True),
    sa.Column('kept_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['inbox_items.id'], name=op.f('fk_kept_examples_item_id_inbox_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kept_by'], ['staff_members.id'], name=op.f('fk_kept_examples_kept_by_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kept_examples')),
    sa.UniqueConstraint('text', 'intent', name='uq_kept_examples_text_intent')
    )

    op.create_table('assistant_models',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('state', sa.Enum(*MODEL_STATE, name='model_state', native_enum=False, length=16), nullable=False),
    sa.Column('progress', sa.String(length=200), nullable=True),
    sa.Column('started_by', sa.Integer(), nullable=True),
    sa.Column('kept_examples', sa.Integer(), nullable=False),
    sa.Column('accuracy', sa.Float(), nullable=True),
    sa.Column('macro_f1', sa.Float(), nullable=True),
    sa.Column('baseline_accuracy', sa.Float(), nullable=True),
    sa.Column('conversation_tests_passed', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('served_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['started_by'], ['staff_members.id'], name=op.f('fk_assistant_models_started_by_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistant_models')),
    sa.UniqueConstraint('file_name', name=op.f('uq_assistant_models_file_name'))
    )
    with op.batch_alter_table('assistant_models', schema=None) as batch_op:
        batch_op.create_index('ix_assistant_models_state', ['state'], unique=False)

    leases = op.create_table('leases',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    # The row exists from the start, so taking the lease is always an UPDATE and never an INSERT race.
    op.bulk_insert(leases, [{'name': 'training', 'holder': None, 'expires_at': None}])

    op.create_table('job_marks',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_marks'))
    )


def downgrade() -> None:
    op.drop_table('job_marks')
    op.drop_table('leases')
    with op.batch_alter_table('assistant_models', schema=None) as batch_op:
        batch_op.drop_index('ix_assistant_models_state')
    op.drop_table('assistant_models')
    op.drop_table('kept_examples')
    with op.batch_alter_table('inbox_sightings', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_sightings_seen_at')
        batch_op.drop_index('ix_inbox_sightings_conversation_id')
        batch_op.drop_index('ix_inbox_sightings_item_id')
    op.drop_table('inbox_sightings')
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_items_status')
    op.drop_table('inbox_items')
