"""room.organiser_closed: slots an organiser closed in Slack, kept when the event file is loaded again

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organiser_closed', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_column('organiser_closed')
