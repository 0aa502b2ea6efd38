"""Database models (SQLAlchemy 2). The database is the source of truth."""

from __future__ import annotations

from datetime import date, datetime, timezone

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, LargeBinary, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cityexchange.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


ROLES = ("contributor", "coordinator", "admin")
STATUSES = ("draft", "submitted", "published")
# Outcome fields of a case study (not the workflow STATUSES above).
PROJECT_STATUSES = ("planned", "running", "completed")
BUDGET_RANGES = ("lt-100k", "100k-1m", "1m-10m", "gt-10m")
# CO2 savings bands (tonnes per year) of the `co2` search facet, smallest first.
CO2_BANDS = ("lt-100", "100-1k", "1k-10k", "gt-10k")
TRANSLATOR_KINDS = ("human", "machine")
ALERT_FREQUENCIES = ("daily", "weekly")
MAIL_STATES = ("queued", "sent", "failed")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="contributor")
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    city: Mapped[City | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return self.active


partnership_cities = Table(
    "partnership_cities",
    db.metadata,
    Column("partnership_id", ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True),
    Column("city_id", ForeignKey("cities.id", ondelete="CASCADE"), primary_key=True),
)

case_study_partners = Table(
    "case_study_partners",
    db.metadata,
    Column("case_study_id", ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True),
    Column("city_id", ForeignKey("cities.id", ondelete="CASCADE"), primary_key=True),
)


class City(db.Model):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(200), default="")
    population: Mapped[int | None]
    description: Mapped[str] = mapped_column(default="")
    industrial_legacy: Mapped[str] = mapped_column(default="")
    # Thesaurus concept ids.
    focus_themes: Mapped[list] = mapped_column(JSON, default=list)
    # WGS 84 degrees, both or neither; a city without them is left off the map.
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case_studies: Mapped[list[CaseStudy]] = relationship(
        back_populates="city", foreign_keys="CaseStudy.city_id"
    )
    partnerships: Mapped[list[Partnership]] = relationship(
        secondary=partnership_cities, back_populates="cities"
    )
    contacts: Mapped[list[ContactPerson]] = relationship(
        back_populates="city", cascade="all, delete-orphan", order_by="ContactPerson.name"
    )


class ContactPerson(db.Model):
    """An expert of a city whom network members may contact.

    Shown only to logged-in users, and only when consent is recorded (flag and date).
    """

    __tablename__ = "contact_persons"
    __table_args__ = (UniqueConstraint("city_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254))
    consent: Mapped[bool] = mapped_column(default=False)
    consent_date: Mapped[date | None]

    city: Mapped[City] = relationship(back_populates="contacts")

    @property
    def may_be_shown(self) -> bool:
        return self.consent and self.consent_date is not None


class Partnership(db.Model):
    """A twinning, an innovation partnership or a network membership."""

    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40), default="twinning")
    since_year: Mapped[int | None]
    description: Mapped[str] = mapped_column(default="")
    themes: Mapped[list] = mapped_column(JSON, default=list)

    cities: Mapped[list[City]] = relationship(
        secondary=partnership_cities, back_populates="partnerships"
    )


class CaseStudy(db.Model):
    __tablename__ = "case_studies"
    # Never reuse a deleted case study's id: the index keys documents by id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(default="")
    body: Mapped[str] = mapped_column(default="")
    year: Mapped[int | None]
    # Thesaurus concept ids or free words.
    topics: Mapped[list] = mapped_column(JSON, default=list)
    # Thesaurus concept ids found in the text or added by a contributor; search
    # facets the union of topics and concepts.
    concepts: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Concepts a contributor unticked: detection never adds them back.
    dismissed_concepts: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # Bumped on every save; the search index uses it as an external version.
    revision: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    # Outcomes: what the project is, costs and achieved (all optional).
    project_status: Mapped[str | None] = mapped_column(String(20))  # PROJECT_STATUSES
    start_year: Mapped[int | None]
    end_year: Mapped[int | None]
    budget_range: Mapped[str | None] = mapped_column(String(20))  # BUDGET_RANGES
    funding_programme: Mapped[str] = mapped_column(String(200), default="", server_default="")
    measured_results: Mapped[str] = mapped_column(default="", server_default="")  # Markdown
    co2_reduction_t_per_year: Mapped[float | None]
    people_reached: Mapped[int | None]

    city: Mapped[City] = relationship(back_populates="case_studies", foreign_keys=[city_id])
    partners: Mapped[list[City]] = relationship(secondary=case_study_partners)
    translations: Mapped[list[Translation]] = relationship(
        back_populates="case_study", cascade="all, delete-orphan", order_by="Translation.language"
    )
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="case_study",
        cascade="all, delete-orphan",
        order_by="Revision.number.desc()",
    )

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def languages(self) -> list[str]:
        return [self.language] + [t.language for t in self.translations]

    @property
    def all_topics(self) -> list[str]:
        """Topics, then concepts not among them: what the topic facet shows."""
        return list(dict.fromkeys([*(self.topics or ()), *(self.concepts or ())]))

    def translation(self, language: str) -> Translation | None:
        return next((t for t in self.translations if t.language == language), None)


class Translation(db.Model):
    """A contributor's translation of a case study's title, summary and body."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("case_study_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(default="")
    body: Mapped[str] = mapped_column(default="")
    # Provenance: "human" or "machine" (None: not recorded), who or which tool,
    # when, and the original's revision it was made from.
    translator_kind: Mapped[str | None] = mapped_column(String(10))  # TRANSLATOR_KINDS
    translator: Mapped[str] = mapped_column(String(200), default="", server_default="")
    translated_at: Mapped[datetime | None]
    source_revision: Mapped[int | None]

    case_study: Mapped[CaseStudy] = relationship(back_populates="translations")


class Revision(db.Model):
    """A snapshot of a case study as it was saved."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("case_study_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(40), default="save")
    snapshot: Mapped[dict] = mapped_column(JSON)

    case_study: Mapped[CaseStudy] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()


class OutboxEntry(db.Model):
    """What must reach the search index: written in the same transaction as the change.

    Holds only the operation and the id; the indexer re-reads the case study
    when it drains the outbox.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    op: Mapped[str] = mapped_column(String(10))  # "index" | "delete"
    case_study_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A row the engine refused for good is set aside (skipped by the drain) with
    # its error, until an operator retries it (`cityex indexer retry`).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(1000))
    set_aside_at: Mapped[datetime | None] = mapped_column(index=True)


class Collection(db.Model):
    """A coordinator's themed, ordered set of case studies."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    introduction: Mapped[str] = mapped_column(default="")
    cover_text: Mapped[str] = mapped_column(default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    featured: Mapped[bool] = mapped_column(default=False)
    # Search parameters that keep proposing new matching case studies.
    saved_search: Mapped[dict | None] = mapped_column(JSON)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection",
        cascade="all, delete-orphan",
        order_by="CollectionItem.position",
    )


class CollectionItem(db.Model):
    __tablename__ = "collection_items"
    __table_args__ = (UniqueConstraint("collection_id", "case_study_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(default="")
    # "accepted" (hand-picked or accepted), "pending" (proposed by the saved
    # search), "hidden" (rejected proposal).
    state: Mapped[str] = mapped_column(String(20), default="accepted")

    collection: Mapped[Collection] = relationship(back_populates="items")
    case_study: Mapped[CaseStudy] = relationship()


class ApiToken(db.Model):
    """A personal API token: it acts with its user's permissions.

    Only the SHA-256 of the secret is stored; `prefix` (the secret's first
    characters) lets the owner tell tokens apart.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SavedSearch(db.Model):
    """A user's named search: its query string, and when they last looked at its results."""

    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Validated /search parameters as a query string (page and per_page dropped).
    query: Mapped[str] = mapped_column(String(4000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "New since your last visit": case studies published after this moment.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # E-mail alert: None, or ALERT_FREQUENCIES; digests hold case studies published
    # after alert_since (when it was switched on).
    alert: Mapped[str | None] = mapped_column(String(10))
    alert_since: Mapped[datetime | None]
    alert_last_sent_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """One failed login, counted per account and per client address by every worker.

    Rows older than the throttle window are deleted as new failures arrive.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The e-mail as typed, lower-cased: unknown ones are throttled the same way.
    account: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditEntry(db.Model):
    """Who did what, when: publishing, deleting, roles, tokens, login lockouts."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The acting account (None: the command line, or nobody logged in).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(300), default="")


class CaseStudyVector(db.Model):
    """A case study's embedding (indexer/embedding.py), computed by the indexer drain.

    `passage_hash` covers the embedded text and the model: a rebuild reuses the
    vector while it matches, an edit of the title or summary recomputes it.
    """

    __tablename__ = "case_study_vectors"

    case_study_id: Mapped[int] = mapped_column(
        ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(100))
    passage_hash: Mapped[str] = mapped_column(String(64))
    # The revision the vector was checked against: the backfill finds stale rows by it.
    revision: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertDelivery(db.Model):
    """A case study some digest has sent to a user: nobody gets the same one twice."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("user_id", "case_study_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"))
    saved_search_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutgoingMail(db.Model):
    """An e-mail waiting for, or done with, the SMTP server (`cityex mail send`).

    A mail the server cannot take now stays "queued" with its error; one it refuses
    for good (5xx) becomes "failed" and is not tried again.
    """

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    reply_to: Mapped[str] = mapped_column(String(254), default="", server_default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(default="")
    # Extra headers, e.g. List-Unsubscribe of an alert digest.
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class CityMessage(db.Model):
    """A question a member asked a city's contact person ("Ask this city").

    Stored first (the contact's inbox shows it even if the e-mail fails), then queued
    as e-mail. city_id stays when the contact is removed, for the volume per city.
    """

    __tablename__ = "city_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                           index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_persons.id", ondelete="SET NULL"))
    case_study_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_studies.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(default="")
    share_email: Mapped[bool] = mapped_column(default=False)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_mail.id",
                                                           ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    sender: Mapped[User] = relationship()
    city: Mapped[City] = relationship()
    contact: Mapped[ContactPerson | None] = relationship()
    case_study: Mapped[CaseStudy | None] = relationship()
    mail: Mapped[OutgoingMail | None] = relationship()


class CommonWordCount(db.Model):
    """A language's common words (indexer/common_words.py), counted by the indexer: the
    web workers of both engines read the same (services/common_words.py)."""

    __tablename__ = "common_words"

    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    # The stems more than half of the language's counted case studies hold.
    stems: Mapped[list] = mapped_column(JSON, default=list)
    # Case studies counted in this language (a sample past indexer.common_words.SAMPLE).
    documents: Mapped[int]
    # Published case studies when they were counted: a count this far off is done again.
    published: Mapped[int]
    counted_at: Mapped[datetime] = mapped_column(default=utcnow)
