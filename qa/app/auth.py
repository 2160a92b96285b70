"""Log-ins for the chat window: ``QA_AUTH`` (plain ``user:password`` pairs) and ``QA_AUTH_FILE``
(one ``user:password-hash`` a line), checked by one async function that Gradio awaits.

A password hash is stdlib scrypt, written as ``scrypt$N$r$p$salt$hash`` (salt and hash in
unpadded URL-safe base64), so a file of them is readable and can be checked by eye::

    >>> line = hash_line("alice", "s3cret", salt=b"0123456789abcdef")
    >>> line
    'alice:scrypt$16384$8$1$MDEyMzQ1Njc4OWFiY2RlZg$...'
    >>> users = parse_auth_file(line + "\\n# a comment\\n", "users.txt")
    >>> users["alice"].matches("s3cret"), users["alice"].matches("guess")
    (True, False)

Make a line with ``python -m qa.app.auth alice`` (it asks for the password twice, or reads
one line from standard input when that is not a terminal). Error messages name the entry or
line and what is wrong, never the password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

from ..errors import ConfigError
from ..settings import Settings

SCHEME = "scrypt"
N, R, P = 2 ** 14, 8, 1          # 16 MiB of memory per check (128 * N * R bytes)
MAX_N, MAX_R, MAX_P = 2 ** 20, 32, 16
FORMAT = "user:scrypt$N$r$p$salt$hash"
HINT = "make a line with `python -m qa.app.auth USER`"

Verifier = Callable[[str, str], Awaitable[bool]]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Password:
    """One user's password: a scrypt hash, or (from ``QA_AUTH``) the plain text."""

    plain: str | None = None
    n: int = N
    r: int = R
    p: int = P
    salt: bytes = b""
    digest: bytes = b""

    @classmethod
    def hash(cls, password: str, *, salt: bytes | None = None) -> "Password":
        """A new scrypt hash of ``password`` (a random 16-byte salt unless given)."""
        salt = secrets.token_bytes(16) if salt is None else salt
        return cls(salt=salt, digest=cls._scrypt(password, salt, N, R, P))

    @classmethod
    def parse(cls, text: str) -> "Password":
        """``scrypt$N$r$p$salt$hash``, or ``ValueError`` saying which part is wrong."""
        parts = text.split("$")
        if len(parts) != 6 or parts[0] != SCHEME:
            raise ValueError(f"the hash is not of the form {SCHEME}$N$r$p$salt$hash")
        try:
            n, r, p = (int(x) for x in parts[1:4])
            salt, digest = _unb64(parts[4]), _unb64(parts[5])
        except ValueError:
            raise ValueError("N, r and p must be whole numbers and salt and hash base64") from None
        if not (1 < n <= MAX_N and n & (n - 1) == 0 and 0 < r <= MAX_R and 0 < p <= MAX_P):
            raise ValueError(f"N must be a power of 2 up to {MAX_N}, r 1 to {MAX_R}, p 1 to {MAX_P}")
        if len(salt) < 8 or len(digest) < 16:
            raise ValueError("the salt or the hash is too short")
        return cls(n=n, r=r, p=p, salt=salt, digest=digest)

    def __str__(self) -> str:
        if self.plain is not None:
            raise ValueError("a plain password has no hash form")
        return f"{SCHEME}${self.n}${self.r}${self.p}${_b64(self.salt)}${_b64(self.digest)}"

    def __repr__(self) -> str:   # never shows the password
        return "Password(plain)" if self.plain is not None else f"Password({SCHEME}, n={self.n})"

    @staticmethod
    def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int = 32) -> bytes:
        return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=size,
                              maxmem=2 * 128 * n * r * p + (1 << 20))

    def matches(self, password: str) -> bool:
        """Whether ``password`` is this one (in constant time for a given length of hash)."""
        if self.plain is not None:
            return hmac.compare_digest(password.encode("utf-8"), self.plain.encode("utf-8"))
        got = self._scrypt(password, self.salt, self.n, self.r, self.p, len(self.digest))
        return hmac.compare_digest(got, self.digest)


def hash_line(user: str, password: str, *, salt: bytes | None = None) -> str:
    """One line of a ``QA_AUTH_FILE``: ``user:scrypt$...``."""
    _check_user(user, "the user name")
    if not password:
        raise ConfigError("The password is empty.", hint="Choose a password of at least one character.")
    return f"{user}:{Password.hash(password, salt=salt)}"


def _check_user(user: str, where: str) -> None:
    if not user or any(c in user for c in ":,\n\r\t ") or not user.isprintable():
        raise ConfigError(f"{where} is {user!r}; expected a user name without spaces, ':' or ','.")


def parse_auth(value: str, name: str = "QA_AUTH") -> dict[str, Password]:
    """``user:password[,user2:password2]`` as ``{user: Password}``; errors never echo a password."""
    users: dict[str, Password] = {}
    for i, entry in enumerate(value.split(","), 1):
        user, colon, password = entry.strip().partition(":")
        if not colon:
            raise ConfigError(f"{name} entry {i} has no ':'; expected user:password[,user2:password2] "
                              "(a password holding ',' goes in QA_AUTH_FILE).")
        _check_user(user, f"{name} entry {i}'s user name")
        if not password:
            raise ConfigError(f"{name} entry {i} ({user}) has an empty password.")
        if user in users:
            raise ConfigError(f"{name} names user {user!r} twice.")
        users[user] = Password(plain=password)
    return users


def parse_auth_file(text: str, path: str) -> dict[str, Password]:
    """The lines of a ``QA_AUTH_FILE`` as ``{user: Password}`` (blank lines and ``#`` comments skipped)."""
    users: dict[str, Password] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"QA_AUTH_FILE {path} line {number}"
        user, colon, hashed = line.partition(":")
        if not colon:
            raise ConfigError(f"{where} has no ':'; expected {FORMAT} ({HINT}).")
        _check_user(user, f"{where}: the user name")
        try:
            users[user] = Password.parse(hashed)
        except ValueError as exc:
            raise ConfigError(f"{where} ({user}): {exc}; expected {FORMAT} ({HINT}).") from None
    return users


def load_users(settings: Settings) -> dict[str, Password]:
    """Every log-in from ``QA_AUTH`` and ``QA_AUTH_FILE`` (empty when neither is set)."""
    users = parse_auth(settings.auth) if settings.auth.strip() else {}
    if settings.auth_file is not None:
        try:
            text = Path(settings.auth_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise ConfigError(f"QA_AUTH_FILE {settings.auth_file} cannot be read ({reason}).") from None
        from_file = parse_auth_file(text, str(settings.auth_file))
        if not from_file:
            raise ConfigError(f"QA_AUTH_FILE {settings.auth_file} holds no log-in; expected {FORMAT} lines.")
        both = sorted(set(users) & set(from_file))
        if both:
            raise ConfigError(f"User {both[0]!r} is in both QA_AUTH and QA_AUTH_FILE; keep one.")
        users.update(from_file)
    return users


def verifier(users: dict[str, Password]) -> Verifier:
    """An ``async (user, password) -> bool`` for Gradio's ``launch(auth=...)``.

    The hash runs in a worker thread, one at a time, so a flood of log-ins neither stalls the
    event loop nor takes more than one core; an unknown user costs a hash too (no timing oracle)."""
    import anyio

    dummy = Password.hash(secrets.token_urlsafe(16))
    state: dict = {}

    async def check(user: str, password: str) -> bool:
        if not isinstance(user, str) or not isinstance(password, str):
            return False
        if "limiter" not in state:   # made on first use, inside the server's event loop
            state["limiter"] = anyio.CapacityLimiter(1)
        limiter = state["limiter"]
        known = users.get(user)
        ok = await anyio.to_thread.run_sync((known or dummy).matches, password, limiter=limiter)
        return ok and known is not None

    return check


def main(argv: list[str] | None = None) -> int:
    """``python -m qa.app.auth USER``: print one ``QA_AUTH_FILE`` line for USER."""
    import getpass

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m qa.app.auth USER   (prints USER:scrypt$..., a line of QA_AUTH_FILE)",
              file=sys.stderr)
        return 2
    try:
        if sys.stdin.isatty():
            password = getpass.getpass(f"Password for {args[0]}: ")
            if getpass.getpass("Again: ") != password:
                print("auth: the two passwords differ.", file=sys.stderr)
                return 2
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        print(hash_line(args[0], password))
    except ConfigError as exc:
        print(f"auth: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
