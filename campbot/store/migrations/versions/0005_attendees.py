"""attendees: the ticket list and personal links

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 21:50:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import campbot.store.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('storedsecret',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', campbot.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('attendee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('ticket_ref', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('slack_user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('link_sent_version', sa.Integer(), nullable=True),
    sa.Column('created_at', campbot.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', campbot.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'email', name='uq_attendee_email'),
    sa.UniqueConstraint('event_id', 'slack_user_id', name='uq_attendee_slack_user'),
    sa.UniqueConstraint('event_id', 'ticket_ref', name='uq_attendee_ticket')
    )
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendee_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendee_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendee_person_id'))
        batch_op.drop_index(batch_op.f('ix_attendee_event_id'))

    op.drop_table('attendee')
    op.drop_table('storedsecret')
