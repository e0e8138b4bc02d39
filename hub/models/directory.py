"""Courts, member units, users and their API tokens."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
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
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))  # officer | supervisor | admin | unit_staff
    court_code: Mapped[str | None] = mapped_column(ForeignKey("courts.code"))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"))
    email: Mapped[str | None] = mapped_column(String(254))
    credential_no: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")  # since the last success
    locked_until: Mapped[datetime | None]  # sign-in refused until then, after too many failures


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
