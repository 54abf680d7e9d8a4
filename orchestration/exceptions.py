"""Domain errors; the site's exception handler turns each into its HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``status`` is the HTTP status, ``code`` a stable machine-readable code."""

    status = 400
    code = "invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    status = 404
    code = "not_found"


class ProjectNotFoundError(NotFoundError):
    def __init__(self, project_id: str) -> None:
        super().__init__(f"Project {project_id!r} does not exist.")


class ConflictError(DomainError):
    status = 409
    code = "conflict"


class InvalidInputError(DomainError):
    status = 400
    code = "invalid"
