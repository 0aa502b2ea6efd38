"""contact persons and case study outcomes

Cities get contact persons (shown with recorded consent only); case studies get
outcome fields: project status, time span, budget range, funding programme,
measured results, CO2 reduction and people reached. Every new case-study column
is nullable or has a server default, so existing rows stay valid.

Revision ID: a3fde82a5b48
Revises: 7795ba7e91fd
Create Date: 2026-11-27 10:27:57.134653

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3fde82a5b48'
down_revision = '7795ba7e91fd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('consent_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('city_id', 'email')
    )
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('start_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('end_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('budget_range', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('funding_programme', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('measured_results', sa.String(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('co2_reduction_t_per_year', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('people_reached', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.drop_column('people_reached')
        batch_op.drop_column('co2_reduction_t_per_year')
        batch_op.drop_column('measured_results')
        batch_op.drop_column('funding_programme')
        batch_op.drop_column('budget_range')
        batch_op.drop_column('end_year')
        batch_op.drop_column('start_year')
        batch_op.drop_column('project_status')

    op.drop_table('contact_persons')
