"""slack pacing: shared rate budgets, card state, blind voting

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 19:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slackbudget',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('tat', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('cardstate',
    sa.Column('pitch_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('shown_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('shown_at', sa.Float(), nullable=False),
    sa.Column('refreshing_until', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('pitch_id')
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hide_counts', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('hide_counts')
    op.drop_table('cardstate')
    op.drop_table('slackbudget')
