"""activity: the (actor_id, id) index also carries the audience

The home feed walks the activities of the people a member follows through this index and keeps
those whose audience is public or members. With the audience in the index, SQLite and
PostgreSQL read it from the index instead of fetching each of the ~750 rows of the table: the
feed query went from 1.6 to 0.8 ms of CPU in a page view at 200,000 posts (docs/performance.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 02:45:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_activity_actor_id_id_audience', 'activity', ['actor_id', 'id', 'audience'], unique=False)
    op.drop_index('ix_activity_actor_id_id', table_name='activity')


def downgrade():
    op.create_index('ix_activity_actor_id_id', 'activity', ['actor_id', 'id'], unique=False)
    op.drop_index('ix_activity_actor_id_id_audience', table_name='activity')
