"""city coordinates

Latitude and longitude (WGS 84 degrees) of a city, for the map on the home
and partnerships pages; both or neither, a city without them is not drawn.

Revision ID: e3b7c2a91d54
Revises: c11a7e5d0b42
Create Date: 2026-12-03 02:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3b7c2a91d54'
down_revision = 'c11a7e5d0b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('cities', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
