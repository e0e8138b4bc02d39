"""Courts, member units, users and their API tokens."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base


class Court(Base):
    __tablename__ = "courts"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    supervisor_email: Mapped[str] = mapped_column(String(254))
    certificates: Mapped[list[str]] = mapped_column(
        JSON, default=list
    )  # PEM; its signatures verify with them
    require_signature: Mapped[bool] = mapped_column(Boolean, default=False)


class Unit(Base):
    """A member unit as loaded from the directory file; `active` is false once it leaves the file."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    actions: Mapped[list[str]] = mapped_column(JSON)
    asset_classes: Mapped[list[str]] = mapped_column(JSON)
    limits: Mapped[dict[str, int]] = mapped_column(JSON)
    contacts: Mapped[dict[str, Any]] = mapped_column(JSON)
    channel: Mapped[dict[str, Any]] = mapped_column(JSON)
    fallback: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # channels tried after `channel`
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    certificates: Mapped[list[str]] = mapped_column(
        JSON, default=list
    )  # PEM; its signatures verify with them
    require_signature: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    """A person who signs in (or calls with a token), or a unit's system account (hub/auth/service.py). A unit's
    users are made inactive when their unit leaves the directory, and stay so until an administrator
    reactivates them; a user of an inactive unit is refused whatever its own flag says."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))  # officer | supervisor | admin | unit_staff
    court_code: Mapped[str | None] = mapped_column(ForeignKey("courts.code"))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    email: Mapped[str | None] = mapped_column(String(254))
    credential_no: Mapped[str | None] = mapped_column(String(40))  # 执行公务证号
    # an officer's cards as units' systems fetch them (zjInfo): 工作证 number, and both cards' images
    work_card_no: Mapped[str | None] = mapped_column(String(40))
    work_card_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    credential_card_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token; only its sha256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: only the sha256 of its cookie is stored, with the CSRF token of its forms."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class LoginFailure(Base):
    """A refused sign-in: the name as typed (an account or not) and the address it came from.

    Rows live HUB_LOGIN_LOCK_MINUTES; counted per (username, source) and per source (hub/auth/lockout.py).
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_source_username", "source", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)
