"""Demo accounts for trying the hub out. Never for production: every password is demo12345."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.auth.service import hash_password
from hub.clock import now
from hub.models import Court, Unit, User

DEMO_PASSWORD = "demo12345"


def demo_accounts(session: Session) -> list[dict[str, str | None]]:
    court = session.execute(select(Court).order_by(Court.code)).scalars().first()
    court_code = court.code if court else None
    accounts: list[dict[str, str | None]] = [
        {
            "username": "officer",
            "display_name": "张三",
            "role": "officer",
            "court_code": court_code,
            "credential_no": "JL2426-0031",
            "email": "officer@example.org",
        },
        {
            "username": "supervisor",
            "display_name": "赵局长",
            "role": "supervisor",
            "court_code": court_code,
            "credential_no": "JL2426-0001",
            "email": "supervisor@example.org",
        },
        {"username": "admin", "display_name": "系统管理员", "role": "admin", "email": "admin@example.org"},
    ]
    for unit in session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)).scalars():
        accounts.append(
            {
                "username": f"staff-{unit.code}",
                "display_name": f"{unit.name}经办人",
                "role": "unit_staff",
                "unit_code": unit.code,
                "email": unit.contacts["staff"][0],
            }
        )
    return accounts


def seed_demo(session: Session) -> list[str]:
    """Create the demo accounts that do not exist yet (idempotent); return the usernames created."""
    existing = set(session.execute(select(User.username)).scalars())
    password_hash = hash_password(DEMO_PASSWORD)
    created = []
    for account in demo_accounts(session):
        if account["username"] in existing:
            continue
        session.add(User(**account, password_hash=password_hash, created_at=now()))
        created.append(str(account["username"]))
    session.flush()
    return created


def has_users(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(User)).scalar_one() > 0
