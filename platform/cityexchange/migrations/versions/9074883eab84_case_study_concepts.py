"""case study concepts

Case studies get the thesaurus concepts found in their text (`concepts`) and
the ones a contributor removed (`dismissed_concepts`, never detected again).
Existing rows start with empty lists; `cityex index rebuild` after a re-save
or re-import fills the facet.

Revision ID: 9074883eab84
Revises: a3fde82a5b48
Create Date: 2026-11-27 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9074883eab84'
down_revision = 'a3fde82a5b48'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('concepts', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('dismissed_concepts', sa.JSON(), server_default='[]',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.drop_column('dismissed_concepts')
        batch_op.drop_column('concepts')
