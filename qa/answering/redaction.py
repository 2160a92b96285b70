"""Secrets out of text that is logged or shown: a chat model's client puts its URL (with a
``user:password@`` part), its API key or its headers into the exceptions it raises.

:func:`redact` replaces the password of a URL, the value of a ``key=value`` / ``"key": "value"``
pair whose key names a secret (``api_key``, ``token``, ``password``, ``authorization``, ...), a
``Bearer`` token, and the well-known shapes of provider keys (``sk-...``, ``hf_...``, ``ghp_...``,
``AKIA...``, ``AIza...``, ``xox.-...``) with :data:`REDACTED`. :class:`RedactingFilter` does it
to log records (message, arguments, traceback); :mod:`qa.app.logs` installs it.

    >>> redact("POST https://bob:pw@api.example.com/v1 failed: key=sk-abcdefghijklmnopqrstu")
    'POST https://bob:[REDACTED]@api.example.com/v1 failed: key=[REDACTED]'
"""

from __future__ import annotations

import logging
import re

REDACTED = "[REDACTED]"
_SECRET_KEY = r"(?:api[_-]?key|apikey|access[_-]?key|secret(?:[_-]?key)?|client[_-]?secret|token|access[_-]?token|" \
              r"auth[_-]?token|password|passwd|pwd|authorization|x-api-key)"
_PATTERNS = [
    # the password of scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@"), rf"\1{REDACTED}@"),
    # Authorization: Bearer <token> (also Basic): a credential-like word (a digit or a sign in it, or long)
    (re.compile(r"(?i)\b(bearer|basic)(\s+)(?:(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,}|[A-Za-z]{20,})"),
     rf"\1\2{REDACTED}"),
    # key=value, key: value, "key": "value" where key names a secret
    (re.compile(rf"(?i)(\b{_SECRET_KEY}\b[\"']?\s*[:=]\s*[\"']?)(?!{re.escape(REDACTED)})(?!bearer\s|basic\s)"
                r"[^\s\"'&,;)}\]]+"), rf"\1{REDACTED}"),
    # provider key shapes, wherever they stand
    (re.compile(r"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}|hf_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|"
                r"github_pat_[A-Za-z0-9_]{20,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})"),
     REDACTED),
]


def redact(text: str) -> str:
    """``text`` with every secret it shows replaced by :data:`REDACTED` (see the module docstring)."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Redacts a log record in place: its message with the arguments merged in (``args`` then
    emptied), its traceback text and its stack; it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_qa_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logging's to report, not ours
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._qa_redacted = True
        return True
