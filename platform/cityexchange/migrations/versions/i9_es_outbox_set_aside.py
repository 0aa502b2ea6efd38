"""outbox rows set aside

An outbox row the search engine refuses for good (e.g. a field the strict
mapping does not declare) records its attempts, the last error and when it
was set aside; the drain skips it until an operator retries it
(`cityex indexer retry`).

Revision ID: c4e1a9d3b7f2
Revises: 2abe24ac1fe0
Create Date: 2026-12-02 21:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1a9d3b7f2'
down_revision = '2abe24ac1fe0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('last_error', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('set_aside_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_outbox_set_aside_at', ['set_aside_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_set_aside_at')
        batch_op.drop_column('set_aside_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')
