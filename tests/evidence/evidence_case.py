"""What the evidence tests share: the case they export, and the `hub` command, as a process or in this one."""

from pathlib import Path

import cli_support
from conftest import edit, example, listed_files, multipart, post_receipt, submit
from typer.testing import Result

from hub.config import Settings
from hub.keys import self_signed

CASE = "（2026）吉2426执156号"
QUERY = "requests/AT-2026-000101"
FREEZE = "requests/AT-2026-000123"
FOUND = f"{QUERY}/receipts/real-estate/RE-2026-0301"
CONTROLLED = f"{FREEZE}/receipts/housing-fund/HF-2026-8891"


def write_identity(folder: Path, name: str = "Linkage Hub 安图县") -> tuple[Path, Path]:
    """A signing key and its self-signed certificate as an administrator configures them: (key, cert) files."""
    folder.mkdir(parents=True, exist_ok=True)
    made = self_signed(name)
    (folder / "hub-key.pem").write_bytes(made.key_pem)
    (folder / "hub-cert.pem").write_bytes(made.cert_pem)
    return folder / "hub-key.pem", folder / "hub-cert.pem"


def build_case(client, token) -> None:
    """Case 156 of court J2426: a query to three units (FOUND and NOT_FOUND, each with its signed PDF, and one
    unanswered) and a freeze of a housing-fund account in the same case (CONTROLLED, with its signed PDF)."""
    query = submit(client, token("officer"), "request-query.xml")
    post_receipt(client, token("staff-real-estate"), query, example("receipt-found.xml"), unit="real-estate")
    post_receipt(client, token("staff-vehicles"), query, example("receipt-not-found.xml"), unit="vehicles")
    document = edit("request-freeze.xml", ("执123号", "执156号"))
    freeze = client.post(
        "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=token("officer")
    )
    assert freeze.status_code == 201, freeze.text
    post_receipt(client, token("staff-housing-fund"), freeze.json(), example("receipt-controlled.xml"))


def _env(settings: Settings | None, signing: tuple[Path, Path] | None) -> dict[str, str | None]:
    return {
        "HUB_DATABASE_URL": settings.database_url if settings else None,
        "HUB_DATA_DIR": str(settings.data_dir) if settings else None,
        "HUB_DEMO": None,  # demo mode would make a signing identity of its own
        "HUB_SIGNING_KEY_FILE": str(signing[0]) if signing else None,
        "HUB_SIGNING_CERT_FILE": str(signing[1]) if signing else None,
    }


def run_hub(settings: Settings | None, *args: str, signing: tuple[Path, Path] | None = None):
    """`hub ARGS` as a process of its own, with no HUB_ setting but the test's."""
    return cli_support.run_process(*args, env=_env(settings, signing))


def invoke(settings: Settings | None, *args: str, signing: tuple[Path, Path] | None = None) -> Result:
    """`hub ARGS` in this process (faster than a process of its own; the same command, the same settings)."""
    return cli_support.invoke(*args, env=_env(settings, signing))
