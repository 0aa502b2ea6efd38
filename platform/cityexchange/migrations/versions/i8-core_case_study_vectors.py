"""case study vectors

Embeddings of case studies (title + summary per language), computed by the
indexer drain and reused by rebuilds while their passage hash matches.

Revision ID: c8e5a1b0f3d2
Revises: 2abe24ac1fe0
Create Date: 2026-12-02 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8e5a1b0f3d2'
down_revision = '5c1e7a9d2b40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_study_vectors',
    sa.Column('case_study_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('passage_hash', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_study_id'], ['case_studies.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_study_id')
    )


def downgrade():
    op.drop_table('case_study_vectors')
