"""pitch.submission_key: a re-submitted pitch form makes one pitch, not two

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pitch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_pitch_submission_key'), ['submission_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('pitch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pitch_submission_key'))
        batch_op.drop_column('submission_key')
