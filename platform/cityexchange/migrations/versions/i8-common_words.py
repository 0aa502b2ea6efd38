"""common words

The stems more than half of a language's case studies hold, counted by the
indexer; the query model reads a query without a closing phrase of them
(indexer/common_words.py).

Revision ID: 4b9d2e6f1a37
Revises: e3b7c2a91d54
Create Date: 2026-12-04 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b9d2e6f1a37'
down_revision = 'e3b7c2a91d54'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('common_words',
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('stems', sa.JSON(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('published', sa.Integer(), nullable=False),
    sa.Column('counted_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('language')
    )


def downgrade():
    op.drop_table('common_words')
