"""All ORM models, so that Alembic sees every table."""

from hub.models.alerts import Alert, AlertItem
from hub.models.base import Base
from hub.models.delivery import DeliveryAttempt, QueuedDelivery
from hub.models.directory import ApiToken, Court, LoginFailure, Unit, User, WebSession
from hub.models.exchange import Control, FoundAsset, Item, Receipt, ReceiptFile, Request, RequestFile, Task
from hub.models.store import AuditEvent, AuditHead, Blob, BlobOwner, CalendarDay, CalendarYear

__all__ = [
    "Alert",
    "AlertItem",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Blob",
    "BlobOwner",
    "CalendarDay",
    "CalendarYear",
    "Control",
    "Court",
    "DeliveryAttempt",
    "FoundAsset",
    "Item",
    "LoginFailure",
    "QueuedDelivery",
    "Receipt",
    "ReceiptFile",
    "Request",
    "RequestFile",
    "Task",
    "Unit",
    "User",
    "WebSession",
]
