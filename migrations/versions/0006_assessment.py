"""assessment: daily snapshots of the self-assessment

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessment_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('as_of', sa.DateTime(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('social_potential', sa.Float(), nullable=False),
    sa.Column('expression', sa.Float(), nullable=False),
    sa.Column('connection', sa.Float(), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_snapshot')),
    sa.UniqueConstraint('day', name=op.f('uq_assessment_snapshot_day'))
    )


def downgrade():
    op.drop_table('assessment_snapshot')
