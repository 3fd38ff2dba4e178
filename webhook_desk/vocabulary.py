"""The words webhook_desk stores for statuses and kinds, as StrEnums.

Each member is the very string the database holds (and the CLI, exports and the served API
print), so the enums changed no stored data; comparing a member with its plain string is true.
"""

from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"


class RegistrationStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    ARCHIVED = "archived"


class ValidationState(StrEnum):
    PENDING = "pending"
    VALIDATING = "validating"  # an engine claimed the handshake (updated_at is when)
    VALIDATED = "validated"
    FAILED = "failed"


class EventStatus(StrEnum):
    """Of an event type and of its category; an event's effective status takes both."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    ARCHIVED = "archived"


class AuthType(StrEnum):
    NONE = "none"
    BASIC = "basic"
    HMAC = "hmac"
    STANDARD_WEBHOOKS = "standard-webhooks"
    OAUTH2 = "oauth2"
