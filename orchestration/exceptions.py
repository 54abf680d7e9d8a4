"""Domain errors; the site's exception handler turns each into its HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``status`` is the HTTP status, ``code`` a stable machine-readable code."""

    status = 400
    code = "invalid"
    # Seconds a client should wait before trying again (a Retry-After header), if any.
    retry_after: int | None = None

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


class OrchestrationInProgressError(ConflictError):
    """The project's lock was not free within ORCHESTRATION_LOCK_TIMEOUT_MS."""

    code = "orchestration_in_progress"
    retry_after = 1

    def __init__(self, project_id: str) -> None:
        super().__init__(
            f"Another orchestration of project {project_id!r} is in progress; "
            "nothing was done. Retry shortly."
        )


class IdempotencyKeyReusedError(DomainError):
    """The same Idempotency-Key came with another request within its lifetime."""

    status = 422
    code = "idempotency_key_reused"
