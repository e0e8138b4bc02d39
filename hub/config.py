"""Settings: one class, every variable prefixed HUB_."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.standard.xml import DEFAULT_MAX_BYTES

DEFAULT_SECRET = "change-me-demo-only"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Blobs, the SQLite file and other state.")
    database_url: str = Field("", description="SQLAlchemy URL; default: SQLite in data_dir.")
    directory: Path | None = Field(None, description="The unit directory (TOML); default: the bundled one.")
    secret_key: SecretStr = Field(SecretStr(DEFAULT_SECRET), description="Signs sessions and tokens.")
    demo: bool = Field(False, description="Demo mode: allows the default secret key.")
    max_document_bytes: int = Field(DEFAULT_MAX_BYTES, description="Largest request or receipt XML.")
    max_file_bytes: int = Field(50 * 1024 * 1024, description="Largest attached file.")
    max_request_bytes: int = Field(
        128 * 1024 * 1024,
        gt=0,
        description="Largest body of a submission with its files (the API's and the pages' uploads), refused "
        "413 before it is read: the document and two files at their limits fit. Any other body: 64 KB.",
    )
    ckw_max_files_bytes: int = Field(
        24 * 1024 * 1024,
        gt=0,
        description="The files of one request a unit's system may fetch through the 查控 service (kzwsInfo): "
        "they go base64 inside base64, so the answer is about 2.4 times as large, and is built in memory.",
    )
    fund_account_period_years: int = Field(1, ge=1, le=3, description="Longest FUND_ACCOUNT control.")
    public_url: str = Field("http://127.0.0.1:8000", description="Base of links in e-mails and pages.")
    signing_key_file: Path | None = Field(
        None,
        description="The hub's private key (PEM); it signs what the hub sends and the evidence it exports.",
    )
    signing_cert_file: Path | None = Field(
        None, description="The certificate (PEM) of the hub's signing key."
    )

    tick_s: float = Field(15, gt=0, description="How often the worker looks for work (seconds).")
    delivery_retry_base_s: float = Field(
        30, ge=0, description="First retry delay of a failed delivery; it doubles per attempt, with jitter."
    )
    delivery_max_attempts: int = Field(6, ge=1, description="Attempts per channel before the next fallback.")

    smtp_host: str = Field("127.0.0.1", description="SMTP server for e-mail channels and alerts.")
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str = Field("", description="SMTP login; empty: no login.")
    smtp_password: SecretStr = Field(SecretStr(""))
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_timeout_s: float = Field(10, gt=0)
    mail_from: str = Field("linkage-hub@example.org", description="Sender of every e-mail the hub sends.")

    trusted_proxies: str = Field(
        "",
        description="Reverse proxies whose X-Forwarded-For and -Proto the hub believes (uvicorn's "
        "forwarded_allow_ips: addresses or networks, comma-separated); empty: none, the client is the peer.",
    )
    session_hours: float = Field(12, gt=0, description="A web sign-in lasts this long.")
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed sign-ins to one account from one address, within HUB_LOGIN_LOCK_MINUTES, before "
        "that address may not sign in to that account (other addresses still may).",
    )
    login_max_failures_per_source: int = Field(
        20,
        ge=1,
        description="Failed sign-ins from one address, to any accounts, within HUB_LOGIN_LOCK_MINUTES, before "
        "that address may not sign in at all.",
    )
    login_lock_minutes: float = Field(
        15, gt=0, description="How long a failed sign-in counts, and so the longest a lock lasts."
    )

    due_soon_days: int = Field(1, ge=1, le=10, description="Remind a unit this many working days before due.")
    escalation_days: int = Field(
        3, ge=1, le=30, description="Escalate a task overdue this many working days."
    )
    control_ending_days: list[int] = Field(
        [30, 15, 7], description="Tell the officer this many days before a control's end date."
    )
    objection_answer_days: int = Field(15, ge=1, description="Days the court has to answer an objection.")

    log_json: bool = Field(
        False, description="Log every line (the hub's and the HTTP server's) as one JSON object."
    )
    metrics_token: SecretStr = Field(
        SecretStr(""), description="Bearer token that /metrics asks for; empty: see metrics_open."
    )
    metrics_open: bool = Field(
        False, description="With no metrics_token, serve /metrics to anyone; off: /metrics answers 404."
    )
    api_docs: bool | None = Field(
        None, description="Serve the API documentation (/docs, /openapi.json); default: in demo mode only."
    )

    @model_validator(mode="after")
    def _defaults(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'hub.db').resolve()}"
        if self.api_docs is None:
            self.api_docs = self.demo
        return self

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    def check_secret(self) -> None:
        """Refuse to run with the default secret unless in demo mode."""
        if self.secret_key.get_secret_value() == DEFAULT_SECRET and not self.demo:
            raise SystemExit(
                "HUB_SECRET_KEY is the built-in default. Set HUB_SECRET_KEY to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), or HUB_DEMO=1 to try the hub out."
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
