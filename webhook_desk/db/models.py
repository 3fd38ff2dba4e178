"""The records webhook_desk keeps, as typed SQLAlchemy 2 models.

Timestamps are stored as naive UTC and come back as aware UTC (UTCDateTime), so
SQLite and PostgreSQL behave the same. Secret values are never stored here: a
SecretVersion holds only metadata and a short fingerprint.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from webhook_desk.vocabulary import (
    AuthType,
    DeliveryStatus,
    EventStatus,
    RegistrationStatus,
    ValidationState,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Vocabulary(TypeDecorator):
    """A StrEnum stored as its plain string (VARCHAR), so the enums needed no migration."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int = 20):
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value, dialect):
        # A misspelt status is refused here rather than stored and unreadable later.
        return None if value is None else self.enum(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum(value)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


class EventCategory(Base):
    __tablename__ = "event_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    module: Mapped[str] = mapped_column(String(20))  # centrepoint | ecg
    status: Mapped[EventStatus] = mapped_column(Vocabulary(EventStatus), default=EventStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[EventType]] = relationship(back_populates="category")


class EventType(Base):
    __tablename__ = "event_type"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("event_category.id"))
    code: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[EventStatus] = mapped_column(Vocabulary(EventStatus), default=EventStatus.ACTIVE)
    json_schema: Mapped[dict] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[EventCategory] = relationship(back_populates="events")
    samples: Mapped[list[SamplePayload]] = relationship(
        back_populates="event_type", cascade="all, delete-orphan", order_by="SamplePayload.id"
    )


class SamplePayload(Base):
    __tablename__ = "sample_payload"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type_id: Mapped[int] = mapped_column(ForeignKey("event_type.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))  # e.g. "completed", "ack", "vitals-observation"
    payload: Mapped[dict] = mapped_column()

    event_type: Mapped[EventType] = relationship(back_populates="samples")


class Registration(Base):
    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    study_id: Mapped[str | None] = mapped_column(String(100), index=True)
    organization_id: Mapped[str | None] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(Text)
    event_version: Mapped[str] = mapped_column(String(20), default="v1")
    auth_type: Mapped[AuthType] = mapped_column(Vocabulary(AuthType, 30), default=AuthType.NONE)
    username: Mapped[str | None] = mapped_column(String(200))
    token_url: Mapped[str | None] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(200))
    oauth_scope: Mapped[str | None] = mapped_column(String(500))
    is_development: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[RegistrationStatus] = mapped_column(
        Vocabulary(RegistrationStatus), default=RegistrationStatus.ENABLED
    )
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    validation_state: Mapped[ValidationState] = mapped_column(
        Vocabulary(ValidationState), default=ValidationState.PENDING
    )
    validation_error: Mapped[str | None] = mapped_column(Text)
    validated_at: Mapped[datetime | None] = mapped_column()
    retry_schedule: Mapped[str | None] = mapped_column(String(200))  # "5s,5m,30m"; None = default
    failure_streak: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column()
    last_delivery_at: Mapped[datetime | None] = mapped_column()
    last_delivery_status: Mapped[DeliveryStatus | None] = mapped_column(Vocabulary(DeliveryStatus))
    source: Mapped[str] = mapped_column(String(20), default="local")  # local|centrepoint|ecg
    remote_id: Mapped[str | None] = mapped_column(String(100))
    remote_origin: Mapped[str | None] = mapped_column(Text)  # the API a mirror was read from
    # PEM, public: the chain presented to the endpoint (its key is in the keyring) and the
    # authorities trusted for it instead of the system's.
    client_certificate: Mapped[str | None] = mapped_column(Text)
    ca_bundle: Mapped[str | None] = mapped_column(Text)
    # JSON: their subjects, issuers, validity and fingerprints (certificates.kept_facts), so
    # listing and warning about expiry need no cryptography (certificate_expiry).
    certificate_facts: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    events: Mapped[list[RegistrationEvent]] = relationship(
        cascade="all, delete-orphan", order_by="RegistrationEvent.event_code"
    )
    secrets: Mapped[list[SecretVersion]] = relationship(
        back_populates="registration",
        order_by="SecretVersion.version",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def event_codes(self) -> list[str]:
        return [e.event_code for e in self.events]


class RegistrationEvent(Base):
    __tablename__ = "registration_event"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    event_code: Mapped[str] = mapped_column(String(100), primary_key=True)


class SecretVersion(Base):
    """Metadata of one secret value; the value itself lives in the OS keyring."""

    __tablename__ = "secret_version"
    __table_args__ = (UniqueConstraint("registration_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    # hmac | standard-webhooks | basic-password | oauth2-client-secret
    kind: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    # Keyed with the installation's key (secrets.py); None until start-up has recomputed one
    # that the upgrade to keyed fingerprints erased.
    fingerprint: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()  # set when a newer version replaces it
    revoked_at: Mapped[datetime | None] = mapped_column()

    registration: Mapped[Registration] = relationship(back_populates="secrets")

    @property
    def keyring_key(self) -> str:
        return f"registration-{self.registration_id}/{self.kind}/v{self.version}"


class Delivery(Base):
    """One event sent to one target; all its attempts share `uuid` (X-ActiGraph-Delivery)."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_created", "created_at", "id"),
        Index("ix_delivery_registration_created", "registration_id", "created_at", "id"),
        Index("ix_delivery_event_created", "event_code", "created_at", "id"),
        Index("ix_delivery_status_created", "status", "created_at", "id"),
        Index("ix_delivery_code_created", "response_code", "created_at", "id"),
        Index("ix_delivery_study_created", "study_id", "created_at", "id"),
        Index("ix_delivery_subject_created", "subject_id", "created_at", "id"),
        Index("ix_delivery_attempts_created", "attempt_count", "created_at", "id"),  # sorting
        Index("ix_delivery_last_sent_created", "last_sent_at", "created_at", "id"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    target_url: Mapped[str] = mapped_column(Text)
    event_code: Mapped[str] = mapped_column(String(100))
    event_version: Mapped[str] = mapped_column(String(20), default="v1")
    payload: Mapped[str] = mapped_column(Text)  # the exact body bytes sent, as UTF-8 text
    study_id: Mapped[str | None] = mapped_column(String(100))
    subject_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[DeliveryStatus] = mapped_column(
        Vocabulary(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    response_code: Mapped[int | None] = mapped_column(Integer)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    is_validation: Mapped[bool] = mapped_column(Boolean, default=False)
    resent_from_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id"))
    # The bulk resend that queued this copy: a rerun of an interrupted one skips what it did.
    resend_job_id: Mapped[int | None] = mapped_column(ForeignKey("resend_job.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="local")  # local|demo|import|sync
    remote_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    # A tombstone (services/erasure.py): the payload is gone, its hash and when it went stay.
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    erased_at: Mapped[datetime | None] = mapped_column()
    # Headers a tester set in Edit and resend, sent over the platform's (never auth ones).
    extra_headers: Mapped[dict | None] = mapped_column()
    # An ad-hoc delivery signed as this registration signs, or with the throwaway secret.
    signing_registration_id: Mapped[int | None] = mapped_column(Integer)
    signing_throwaway: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", order_by="Attempt.number"
    )


class ResendJob(Base):
    """One "resend all matching" run: finished_at stays empty until every match was queued,
    so a run that was killed or cancelled is resumed by the next one with the same filters."""

    __tablename__ = "resend_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    filters: Mapped[str] = mapped_column(Text)  # the History filters, as canonical JSON
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class ResendJobRetry(Base):
    """A delivery pulled from an ECG module that a resend-all job had its module retry, so a
    rerun of the job after an interruption does not have the module retry it again."""

    __tablename__ = "resend_job_retry"

    job_id: Mapped[int] = mapped_column(
        ForeignKey("resend_job.id", ondelete="CASCADE"), primary_key=True
    )
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("delivery.id", ondelete="CASCADE"), primary_key=True
    )


class Attempt(Base):
    __tablename__ = "attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    retried_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    url: Mapped[str] = mapped_column(Text)
    request_headers: Mapped[dict] = mapped_column()  # secret-bearing ones redacted
    # None: the delivery's payload, byte for byte (as Svix keeps a message's body once).
    request_body: Mapped[str | None] = mapped_column(Text)
    response_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(Text)  # capped
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

    delivery: Mapped[Delivery] = relationship(back_populates="attempts")

    @property
    def body_sent(self) -> str:
        """The request body of this attempt: read this, not request_body, which may be NULL."""
        return self.delivery.payload if self.request_body is None else self.request_body


class ReceivedRequest(Base):
    """One request the built-in receiver captured (its inbox)."""

    __tablename__ = "received_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[dict] = mapped_column()
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_is_json: Mapped[bool] = mapped_column(Boolean, default=True)
    remote_addr: Mapped[str] = mapped_column(String(100), default="")
    status_code: Mapped[int] = mapped_column(Integer)
    event: Mapped[str | None] = mapped_column(String(100))
    delivery_id: Mapped[str | None] = mapped_column(String(100), index=True)
    signature: Mapped[str] = mapped_column(String(20), default="unchecked")
    signature_scheme: Mapped[str | None] = mapped_column(String(40))
    secret_version: Mapped[str | None] = mapped_column(String(100))
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    # The client certificate the request came with (mTLS): who, and its SHA-256 fingerprint.
    client_cert_subject: Mapped[str | None] = mapped_column(String(500))
    client_cert_fingerprint: Mapped[str | None] = mapped_column(String(95))


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict | None] = mapped_column()
    after: Mapped[dict | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(200))
    # The chain (services/audit.py): the previous entry's hash, and this entry's own.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The one row that ends the audit chain: the newest hash and how many entries lead to
    it. Appending locks it, so writers queue; verify compares it with the chain's end."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default="")


class SecretHeader(Base):
    """A header the user named as carrying secrets, redacted like Authorization (Settings)."""

    __tablename__ = "secret_header"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


IDENTIFYING_FIELD_LENGTH = 200


class IdentifyingField(Base):
    """A payload key whose value identifies a study participant (Settings): masked on screen,
    pseudonymised in exports (services/identifying.py)."""

    __tablename__ = "identifying_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(IDENTIFYING_FIELD_LENGTH), unique=True)


class MaskingSetting(Base):
    """The one row saying whether identifying values are masked on screen."""

    __tablename__ = "masking_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class ChangeCount(Base):
    """The one row whose count every write to the tables served pages are read from bumps,
    by triggers (migration 0013), whichever process writes (api/page_cache.py)."""

    __tablename__ = "change_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


def change_count(session) -> int:
    """How many writes the served tables have had: anything cached from them is good while
    this stays the same."""
    return session.scalar(select(ChangeCount.count).where(ChangeCount.id == 1)) or 0


class RetentionPolicy(Base):
    """How long a study's deliveries keep their payloads and their records (services/
    retention.py); the row with no study is the default for every other study."""

    __tablename__ = "retention_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    payload_days: Mapped[int | None] = mapped_column(Integer)  # None: kept for ever
    metadata_days: Mapped[int | None] = mapped_column(Integer)
