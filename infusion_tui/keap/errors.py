"""One small hierarchy of errors, each carrying a message a person can act on.

Messages never contain a token or an API key: they are built from status codes and the
server's own error text only, never from request headers.
"""

from __future__ import annotations


class KeapError(Exception):
    """Something went wrong talking to Keap. `str(err)` is fit to show to the user."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class AuthError(KeapError):
    """The credential is missing, wrong, revoked or expired beyond refresh: log in again."""


class NotFound(KeapError):
    """The task or order does not exist (any more)."""


class InvalidRequest(KeapError):
    """Keap refused what we sent (400); the message is Keap's own."""


class RateLimited(KeapError):
    """Keap's quota is spent; `retry_after` says when to try again (seconds), if Keap said."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class Unavailable(KeapError):
    """Keap could not be reached or failed (network, timeout, 5xx). Worth retrying later."""


class BadResponse(Unavailable):
    """Keap answered with something that is not what the API promises (not JSON, wrong shape)."""
