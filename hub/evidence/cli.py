"""`hub evidence`: export a case as a signed archive, and check such an archive without the database."""

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

evidence_app = typer.Typer(
    help="Evidence of a case: its documents, files and audit events in a signed archive.",
    no_args_is_help=True,
)

NO_IDENTITY = (
    "the hub has no signing identity, so the archive could not be signed: set HUB_SIGNING_KEY_FILE and "
    "HUB_SIGNING_CERT_FILE to the hub's private key and its certificate (PEM files), or pass --unsigned "
    "to export an archive that nothing shows the hub made"
)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in this environment
        return "cli"


@evidence_app.command("export")
def evidence_export(
    case_no: Annotated[
        str, typer.Argument(help="The case number as the requests write it, e.g. （2026）吉2426执123号.")
    ],
    file: Annotated[Path, typer.Argument(help="The archive to write, e.g. case.zip; never overwritten.")],
    court: Annotated[
        str | None, typer.Option(help="The court of the case; needed when several courts use the number.")
    ] = None,
    unsigned: Annotated[
        bool, typer.Option("--unsigned", help="Do not sign (for a hub without HUB_SIGNING_KEY_FILE).")
    ] = False,
) -> None:
    """Write the case's evidence archive to FILE, signed with the hub's identity.

    The archive holds every request and receipt of the case byte for byte, their files, the case's audit
    events, a summary and a signed manifest of sha256 sums; the export is recorded in the audit chain.

    Exit 0 when written, 1 when a stored file or audit event no longer matches its hash, 2 when the case or
    the signing identity is wrong (nothing is written then).
    """
    from hub.config import get_settings
    from hub.context import Hub
    from hub.evidence.layout import SigningError
    from hub.evidence.service import ExportRefused, StoreDamaged, export_case
    from hub.keys import SigningKeyError, hub_identity

    settings = get_settings()
    identity = None
    if not unsigned:
        try:
            identity = hub_identity(settings)
        except SigningKeyError as e:
            typer.echo(f"the hub's signing identity cannot be used: {e}", err=True)
            raise typer.Exit(2) from None
        if identity is None:
            typer.echo(NO_IDENTITY, err=True)
            raise typer.Exit(2)
    hub = Hub.from_settings(settings)
    try:
        exported = export_case(
            hub, case_no=case_no, court_code=court, target=file, identity=identity, actor=_actor()
        )
    except (ExportRefused, SigningError) as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    except StoreDamaged as e:
        typer.echo(f"nothing exported: {e}", err=True)
        raise typer.Exit(1) from None
    finally:
        hub.engine.dispose()
    typer.echo(
        f"{exported.path}: case {exported.case_no} of court {exported.court_code}, {exported.members} members "
        f"and {exported.audit_events} audit events, {exported.size} bytes"
    )
    typer.echo(f"manifest sha256 {exported.manifest_sha256}")
    if exported.certificate_sha256:
        typer.echo(f"signed; hub certificate sha256 fingerprint {exported.certificate_sha256}")
    else:
        typer.echo("UNSIGNED: hub evidence verify accepts it only with --allow-unsigned")


@evidence_app.command("verify")
def evidence_verify(
    file: Annotated[Path, typer.Argument(help="The archive, as hub evidence export wrote it.")],
    cert: Annotated[
        Path | None, typer.Option(help="The hub certificate (PEM) the archive must be signed with.")
    ] = None,
    allow_unsigned: Annotated[
        bool,
        typer.Option("--allow-unsigned", help="Accept an unsigned archive whose contents hold together."),
    ] = False,
) -> None:
    """Check an evidence archive without the database: exit 0 when intact, 1 naming what fails.

    Every member against the signed manifest, nothing missing or added, every audit event against its hash,
    and the signature against the certificate in the archive (and against --cert FILE when given).

    Exit 0 when intact, 1 naming the first member that fails and why, 2 for a missing file or --cert.
    """
    from hub.evidence.verify import verify_archive
    from hub.standard.signatures import load_certificate

    if not file.is_file():
        typer.echo(f"no file {file}", err=True)
        raise typer.Exit(2)
    pinned = None
    if cert is not None:
        try:
            pinned = load_certificate(cert.read_bytes())
        except (OSError, ValueError) as e:
            typer.echo(f"--cert {cert}: not a readable PEM certificate ({e})", err=True)
            raise typer.Exit(2) from None
    verdict = verify_archive(file, pinned=pinned, allow_unsigned=allow_unsigned)
    if not verdict.ok:
        typer.echo(f"evidence NOT intact: {verdict.member}: {verdict.reason}")
        sys.exit(1)
    typer.echo(
        f"evidence intact: case {verdict.case_no} of court {verdict.court}, exported {verdict.exported_at}; "
        f"{verdict.members} members and {verdict.audit_events} audit events hold together"
    )
    if verdict.signer is None:
        typer.echo("UNSIGNED: nothing shows that the hub made this archive")
    elif verdict.pinned:
        typer.echo(
            f"signed with the pinned certificate {verdict.signer} (sha256 {verdict.certificate_sha256})"
        )
    else:
        typer.echo(
            f"signed by {verdict.signer}, certificate sha256 fingerprint {verdict.certificate_sha256}: compare it "
            "with the hub's published fingerprint, or pin the certificate with --cert FILE"
        )
