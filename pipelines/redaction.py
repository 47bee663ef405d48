"""Keep the API key out of logs: a backstop behind `SecretStr` and careful messages.

httpx's header repr hides only `authorization`, so an `x-api-key` header prints in clear, and
httpcore's DEBUG logs include headers. We keep those loggers at WARNING and scrub every record
that reaches a root handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "[REDACTED]"
# Shorter "secrets" would mask ordinary words in messages; real keys are far longer.
_MIN_SECRET_LENGTH = 6


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return `text` with every occurrence of each secret replaced by a mask."""
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET_LENGTH and secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks known secrets in the formatted message and traceback."""

    def __init__(self) -> None:
        super().__init__("sippet-redaction")
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            # Freeze the formatted text so the secret cannot come back through record.args.
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


_FILTER = RedactingFilter()


def install_log_redaction(secret: str | None) -> RedactingFilter:
    """Mask `secret` on every root handler and quiet httpx/httpcore (idempotent)."""
    if secret:
        _FILTER.secrets.add(secret)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        # Only raise the level: a stricter level set on purpose (ERROR) is kept.
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    return _FILTER
