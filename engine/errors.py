"""User-facing errors: each carries a code, a Japanese message and where it applies."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field


class KaigoflowError(Exception):
    """An error meant for a person: `message` is Japanese and says what to do."""

    code = "error"
    http_status = 400
    exit_code = 1

    def __init__(self, message: str, *, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        if not self.details:
            return self.message
        lines = [self.message] + [f"  {key}: {text}" for key, text in self.details.items()]
        return "\n".join(lines)


class ValidationError(KaigoflowError):
    """A form submission or decision input was refused; `details` maps field -> Japanese message."""

    code = "validation"
    http_status = 422


class ConflictError(KaigoflowError):
    """Someone else changed the same thing first (stale or double submission)."""

    code = "conflict"
    http_status = 409
    exit_code = 3


class NotFoundError(KaigoflowError):
    """The thing does not exist, or the caller may not see it (the two are not told apart)."""

    code = "not_found"
    http_status = 404
    exit_code = 4


class PermissionDenied(KaigoflowError):
    """The caller may see the thing but may not act on it."""

    code = "forbidden"
    http_status = 403
    exit_code = 5


@dataclass(frozen=True)
class Problem:
    """One problem found in a diagram, decision or form, pointing at the element and file."""

    file: str
    message: str
    element: str | None = None
    rule: str = "invalid"
    line: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        element = f" [{self.element}]" if self.element else ""
        return f"{where}{element}: {self.message} ({self.rule})"


class LibraryError(KaigoflowError):
    """The process library cannot be loaded: one or more diagrams, decisions or forms are broken."""

    code = "library"
    http_status = 422
    exit_code = 2

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message, details={str(i + 1): str(p) for i, p in enumerate(problems)})
        self.problems = problems
