"""Passwords: the strength rule (messages in Japanese), hashing, and one-time passwords for a reset.

Hashes are werkzeug's (scrypt), the format web/auth.py has always checked sign-ins against; werkzeug is a
plain library here, not the web app.
"""

from __future__ import annotations

import secrets
import string
import unicodedata

from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

MIN_LENGTH = 10
MAX_LENGTH = 128
ONE_TIME_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
"""Letters and digits a person can copy from a screen without mistaking one for another."""


def _classes(password: str) -> set[str]:
    found = set()
    for char in password:
        if char.isascii() and char.islower():
            found.add("lower")
        elif char.isascii() and char.isupper():
            found.add("upper")
        elif char.isdigit():
            found.add("digit")
        else:
            found.add("other")  # symbols, spaces, kana and kanji
    return found


def strength_problem(password: str, login: str = "") -> str | None:
    """Why this password may not be used (Japanese), or None when it may.

    At least MIN_LENGTH characters, not the login (nor containing it), and not all of one kind of character:
    a long password of mixed characters resists guessing; rules beyond that make people write them down.
    """
    if len(password) < MIN_LENGTH:
        return f"パスワードは{MIN_LENGTH}文字以上にしてください"
    if len(password) > MAX_LENGTH:
        return f"パスワードは{MAX_LENGTH}文字以内にしてください"
    folded = unicodedata.normalize("NFKC", password).casefold()
    login_folded = unicodedata.normalize("NFKC", login).casefold().strip()
    if login_folded and login_folded in folded:
        return "パスワードにログインIDを含めないでください"
    if len(_classes(password)) < 2:
        return "英小文字・英大文字・数字・記号のうち2種類以上を組み合わせてください"
    if len(set(password)) < 4:
        return "同じ文字の繰り返しではなく、4種類以上の文字を使ってください"
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def matches(password_hash: str, password: str) -> bool:
    return bool(password_hash) and check_password_hash(password_hash, password)


def one_time_password() -> str:
    """A random password for a reset, shown once to the administrator; it must be changed at the next sign-in."""
    while True:
        candidate = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(12))
        if strength_problem(candidate) is None:
            return candidate
