"""mail queue, questions to cities, alerts, translation provenance

- outgoing_mail: e-mails waiting for the SMTP server (`cityex mail send`);
- city_messages: "Ask this city" questions, kept even if the e-mail fails;
- saved_searches.alert*, alert_deliveries: daily/weekly digests, each case
  study sent to a user once;
- translations.translator_kind/translator/translated_at/source_revision.

Revision ID: c11a7e5d0b42
Revises: 2abe24ac1fe0
Create Date: 2026-12-02 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c11a7e5d0b42'
down_revision = 'c8e5a1b0f3d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outgoing_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('reply_to', sa.String(length=254), server_default='', nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.String(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoing_mail_status'), ['status'], unique=False)

    op.create_table('city_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('case_study_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(), nullable=False),
    sa.Column('share_email', sa.Boolean(), nullable=False),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_study_id'], ['case_studies.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact_persons.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mail_id'], ['outgoing_mail.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('city_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_messages_created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_city_messages_sender_id'), ['sender_id'],
                              unique=False)

    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('alert_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('alert_last_sent_at', sa.DateTime(), nullable=True))

    op.create_table('alert_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_study_id', sa.Integer(), nullable=False),
    sa.Column('saved_search_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_study_id'], ['case_studies.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['saved_search_id'], ['saved_searches.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'case_study_id')
    )

    with op.batch_alter_table('translations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translator_kind', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('translator', sa.String(length=200), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('translated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('source_revision', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('translations', schema=None) as batch_op:
        batch_op.drop_column('source_revision')
        batch_op.drop_column('translated_at')
        batch_op.drop_column('translator')
        batch_op.drop_column('translator_kind')

    op.drop_table('alert_deliveries')

    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.drop_column('alert_last_sent_at')
        batch_op.drop_column('alert_since')
        batch_op.drop_column('alert')

    with op.batch_alter_table('city_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_messages_sender_id'))
        batch_op.drop_index(batch_op.f('ix_city_messages_created_at'))
    op.drop_table('city_messages')

    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_status'))
    op.drop_table('outgoing_mail')
