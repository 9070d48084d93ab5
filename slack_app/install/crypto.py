"""Encrypting Slack tokens at rest with the keys in `SLACK_TOKEN_ENCRYPTION_KEY`.

The setting holds one or more Fernet keys, comma-separated, newest first. New data is always
encrypted with the newest key; data encrypted with any of the listed keys can be read, so a
key is rotated by putting a new one in front, re-encrypting (`taskpilot slack reencrypt`) and
then dropping the old one.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.settings import Settings

KEY_SETTING = "SLACK_TOKEN_ENCRYPTION_KEY"


class TokenKeyError(ValueError):
    """`SLACK_TOKEN_ENCRYPTION_KEY` is missing or holds something that is not a Fernet key."""


class TokenDecryptError(Exception):
    """Stored data was encrypted with a key that `SLACK_TOKEN_ENCRYPTION_KEY` no longer holds."""


def generate_key() -> str:
    """A new random Fernet key, as text for `SLACK_TOKEN_ENCRYPTION_KEY`."""
    return Fernet.generate_key().decode("ascii")


def _parse_keys(raw: str) -> list[Fernet]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        raise TokenKeyError(
            f"{KEY_SETTING} is empty; `taskpilot slack keygen` makes a key to put there."
        )
    keys: list[Fernet] = []
    for position, part in enumerate(parts, start=1):
        try:
            keys.append(Fernet(part.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            # The key itself is never echoed: it is a secret even when malformed.
            raise TokenKeyError(
                f"Key {position} of {len(parts)} in {KEY_SETTING} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes); `taskpilot slack keygen` makes one."
            ) from None
    return keys


class TokenCipher:
    """Encrypts with the newest key and decrypts with any of the configured keys."""

    def __init__(self, keys: Sequence[str] | str) -> None:
        raw = keys if isinstance(keys, str) else ",".join(keys)
        self._keys = _parse_keys(raw)
        self._fernet = MultiFernet(self._keys)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        """The cipher for `SLACK_TOKEN_ENCRYPTION_KEY`; `TokenKeyError` when it is not set."""
        if settings.slack_token_key is None:
            raise TokenKeyError(
                f"{KEY_SETTING} is not set; installations' tokens are encrypted with it. "
                "`taskpilot slack keygen` makes a key."
            )
        return cls(settings.slack_token_key.get_secret_value())

    def encrypt(self, plaintext: str) -> str:
        """`plaintext` encrypted with the newest key, as url-safe text."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The text `encrypt` was given, whichever configured key encrypted it."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise TokenDecryptError(
                f"Stored Slack data could not be decrypted with any key in {KEY_SETTING}; "
                "was the key that encrypted it removed?"
            ) from None

    def is_current(self, ciphertext: str) -> bool:
        """True when `ciphertext` is already encrypted with the newest key."""
        try:
            self._keys[0].decrypt(ciphertext.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def rotate(self, ciphertext: str) -> str:
        """`ciphertext` re-encrypted with the newest key (readable by any configured key)."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise TokenDecryptError(
                f"Stored Slack data could not be decrypted with any key in {KEY_SETTING}; "
                "was the key that encrypted it removed?"
            ) from None

    def __repr__(self) -> str:
        return f"TokenCipher(keys={len(self._keys)})"
