"""The one error shape of the API: {"error": {"code", "message", "details": [{line, path, message}]}}."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.db import NulCharacter
from hub.standard.xml import DocumentError, Problem


class HubError(Exception):
    """An error for a person: what was wrong, where, and what to do."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, details: list[Problem] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        if code:
            self.code = code


class Invalid(HubError):
    status = 422
    code = "invalid_document"


class NotFound(HubError):
    status = 404
    code = "not_found"


class Forbidden(HubError):
    status = 403
    code = "forbidden"


class Unauthorized(HubError):
    status = 401
    code = "unauthorized"


class Conflict(HubError):
    status = 409
    code = "conflict"


class UnsupportedMedia(HubError):
    status = 415
    code = "unsupported_media_type"


class TooLarge(HubError):
    status = 413
    code = "too_large"


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _document_message(problems: list[Problem]) -> str:
    first = problems[0]
    more = f" (and {len(problems) - 1} more problem(s), see details)" if len(problems) > 1 else ""
    where = f"line {first.line}, {first.path}" if first.line else first.path
    return f"The document was refused: {where}: {first.message}{more}"


def install(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def _hub(request: Request, exc: HubError) -> Response:
        pages = getattr(request.app.state, "error_page", None)
        if pages is not None and not request.url.path.startswith("/api/"):
            return pages(request, exc)  # a web page gets its error as a page (hub/web)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        body = error_body(exc.code, exc.message, [p.as_dict() for p in exc.details])
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(DocumentError)
    async def _document(request: Request, exc: DocumentError) -> Response:
        status = 413 if exc.code == "document_too_large" else 422
        pages = getattr(request.app.state, "error_page", None)
        if pages is not None and not request.url.path.startswith("/api/"):
            error = HubError(_document_message(exc.problems), details=exc.problems, code=exc.code)
            error.status = status
            return pages(request, error)
        body = error_body(exc.code, _document_message(exc.problems), [p.as_dict() for p in exc.problems])
        return JSONResponse(body, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        pages = getattr(request.app.state, "error_page", None)
        if pages is not None and not request.url.path.startswith("/api/"):
            where = "；".join(
                f"{'/'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()
            )
            return pages(request, Invalid(f"请求的参数不正确：{where}", code="invalid_parameters"))
        details = [
            {"line": None, "path": "/".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse(error_body("invalid_parameters", "Some parameters are not valid.", details), 422)

    @app.exception_handler(NulCharacter)
    async def _nul(request: Request, exc: NulCharacter) -> Response:
        pages = getattr(request.app.state, "error_page", None)
        if pages is not None and not request.url.path.startswith("/api/"):
            return pages(
                request, Invalid("提交的内容含有空字符（U+0000），请删去后重试。", code="invalid_parameters")
            )
        message = "A parameter or field holds the character U+0000 (NUL), which no text may hold."
        return JSONResponse(error_body("invalid_parameters", message), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        pages = getattr(request.app.state, "error_page", None)
        if pages is not None and not request.url.path.startswith("/api/"):
            error = HubError("页面不存在。" if exc.status_code == 404 else str(exc.detail))
            error.status = exc.status_code
            return pages(request, error)
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)
