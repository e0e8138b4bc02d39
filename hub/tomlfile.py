"""Reading a TOML file into a pydantic model: every problem one line naming the entry, the key and why."""

import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def message_of(error: Any) -> str:
    """A pydantic error's message as a clause: "field required", "must be a weekend"."""
    msg = error["msg"].removeprefix("Value error, ")
    return msg[:1].lower() + msg[1:] if msg[1:2].islower() else msg


def got_of(error: Any) -> str:
    """ " (got 'value')" for a plain input value, else nothing."""
    return f" (got {error['input']!r})" if isinstance(error.get("input"), str | int | float | date) else ""


def load_model(
    path: Path,
    model: type[M],
    *,
    describe: Callable[[Any, Any], list[str]],
    error: type[Exception],
    context: dict[str, Any] | None = None,
) -> M:
    """Read `path` and validate it as `model`; any problem raises `error` with "<path>: ..." lines.

    `context` reaches the model's validators (e.g. the folder that relative paths in the file start from).
    """
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: TOML syntax error: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from exc
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        lines = [line for problem in exc.errors() for line in describe(data, problem)]
        detail = lines[0] if len(lines) == 1 else f"{len(lines)} errors:\n  " + "\n  ".join(lines)
        raise error(f"{path}: {detail}") from exc
