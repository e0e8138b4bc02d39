"""FastAPI dependencies: the hub, the transaction, the caller, and a submitted document with its files."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hub.auth.service import Principal, principal, user_for_token
from hub.context import Hub
from hub.db import reading, unit_of_work
from hub.errors import Invalid, TooLarge, Unauthorized, UnsupportedMedia
from hub.limits import FormLimits, PartTooLarge, read_form
from hub.requests.service import Submission
from hub.standard.xml import Problem


async def get_hub(request: Request) -> Hub:  # async: no I/O, no thread to hop to
    return request.app.state.hub


HubDep = Annotated[Hub, Depends(get_hub)]


def get_session(hub: HubDep) -> Iterator[Session]:
    """The request owns the transaction: committed when the route returns, rolled back if it raises."""
    with unit_of_work(hub.sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
_bearer = HTTPBearer(auto_error=False)


def get_principal(
    hub: HubDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller, looked up in a short read-only transaction of its own, before any body is read."""
    if credentials is None:
        raise Unauthorized("Send a bearer token: Authorization: Bearer <token> (hub token issue USERNAME).")
    with reading(hub.readers) as session:
        user = user_for_token(session, credentials.credentials)
        if user is None:
            raise Unauthorized("The bearer token is unknown or revoked.")
        return principal(user)


PrincipalDep = Annotated[Principal, Depends(get_principal)]

XML_TYPES = ("application/xml", "text/xml")


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"The document is larger than the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_submission(request: Request, hub: HubDep) -> Submission:
    """The body as a document: application/xml, or multipart/form-data with `document` and `files` parts,
    each part refused (413) as soon as it passes its limit (hub/limits.py)."""
    settings = hub.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in XML_TYPES:
        return Submission(await _read_limited(request, settings.max_document_bytes))
    if content_type != "multipart/form-data":
        raise UnsupportedMedia(
            f"Send the document as application/xml, or as multipart/form-data with a part 'document' "
            f"and a part 'files' per listed file (got {content_type or 'no content type'}).",
        )
    limits = FormLimits(
        file_bytes=settings.max_file_bytes,
        field_bytes=settings.max_document_bytes,
        max_files=200,
        max_fields=50,
        by_name={"document": settings.max_document_bytes},
    )
    try:
        form = await read_form(request, limits)
    except PartTooLarge as exc:
        if exc.filename is None:
            raise TooLarge(
                f"A form field is larger than the limit of {exc.limit} bytes: send the document as a file "
                "part named 'document'."
            ) from None
        raise TooLarge(
            f"The part {exc.name} ({exc.filename}) is larger than the limit of {exc.limit} bytes: "
            "refused as it passed the limit, the rest of the body unread."
        ) from None
    try:
        documents = form.getlist("document")
        if len(documents) != 1:
            raise Invalid("The multipart body needs exactly one part named 'document' holding the XML.")
        document = documents[0]
        submission = Submission(document.encode() if isinstance(document, str) else await document.read())
        problems = []
        for part in form.getlist("files"):
            if not isinstance(part, UploadFile) or not part.filename:
                problems.append(Problem(None, "files", "each 'files' part must be a file with its file name"))
                continue
            if part.filename in submission.files:
                problems.append(Problem(None, "files", f"the file {part.filename} was sent twice"))
                continue
            submission.files[part.filename] = await part.read()
        if problems:
            raise Invalid(problems[0].message, details=problems)
        return submission
    finally:
        await form.close()


SubmissionDep = Annotated[Submission, Depends(read_submission)]
