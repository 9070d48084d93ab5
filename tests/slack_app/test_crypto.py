"""Tokens encrypted at rest: the keys in SLACK_TOKEN_ENCRYPTION_KEY, rotation, clear errors."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from core.settings import Settings
from slack_app.install.crypto import (
    TokenCipher,
    TokenDecryptError,
    TokenKeyError,
    generate_key,
)

TOKEN = "xoxb-1234-5678-abcdefghijkl"


def test_a_generated_key_is_a_fernet_key_and_each_is_new() -> None:
    first, second = generate_key(), generate_key()
    assert first != second
    Fernet(first.encode())


def test_encrypted_text_hides_the_token_and_decrypts_back() -> None:
    cipher = TokenCipher([generate_key()])
    sealed = cipher.encrypt(TOKEN)
    assert TOKEN not in sealed
    assert cipher.encrypt(TOKEN) != sealed
    assert cipher.decrypt(sealed) == TOKEN


def test_after_rotation_old_data_still_decrypts_and_is_reencrypted_with_the_new_key() -> None:
    old_key, new_key = generate_key(), generate_key()
    sealed_with_old = TokenCipher(old_key).encrypt(TOKEN)
    rotated = TokenCipher(f"{new_key}, {old_key}")
    assert rotated.decrypt(sealed_with_old) == TOKEN
    assert not rotated.is_current(sealed_with_old)

    resealed = rotated.rotate(sealed_with_old)
    assert rotated.is_current(resealed)
    assert TokenCipher(new_key).decrypt(resealed) == TOKEN
    with pytest.raises(TokenDecryptError):
        TokenCipher(old_key).decrypt(resealed)
    # New data is always sealed with the newest key.
    assert TokenCipher(new_key).decrypt(rotated.encrypt(TOKEN)) == TOKEN


def test_data_sealed_with_a_removed_key_fails_with_a_clear_error() -> None:
    sealed = TokenCipher(generate_key()).encrypt(TOKEN)
    with pytest.raises(TokenDecryptError, match="SLACK_TOKEN_ENCRYPTION_KEY"):
        TokenCipher(generate_key()).decrypt(sealed)
    with pytest.raises(TokenDecryptError):
        TokenCipher(generate_key()).decrypt("not even ciphertext")


@pytest.mark.parametrize(
    "raw", ["not-a-key", "", " , ", "c2hvcnQ=", f"{'A' * 43}=,also-bad"], ids=repr
)
def test_a_malformed_key_names_the_setting_and_never_echoes_the_value(raw: str) -> None:
    with pytest.raises(TokenKeyError, match="SLACK_TOKEN_ENCRYPTION_KEY") as raised:
        TokenCipher(raw)
    for part in raw.split(","):
        if part.strip():
            assert part.strip() not in str(raised.value)


def test_the_cipher_comes_from_the_settings_and_says_when_the_key_is_missing() -> None:
    key = generate_key()
    cipher = TokenCipher.from_settings(Settings.model_validate({"SLACK_TOKEN_ENCRYPTION_KEY": key}))
    assert TokenCipher(key).decrypt(cipher.encrypt(TOKEN)) == TOKEN
    assert key not in repr(cipher)
    with pytest.raises(TokenKeyError, match="taskpilot slack keygen"):
        TokenCipher.from_settings(Settings.model_validate({"SLACK_TOKEN_ENCRYPTION_KEY": None}))
