"""Secrets never reach a log line, even at DEBUG and inside tracebacks."""

from __future__ import annotations

import logging

import pytest

from campbot.config.logging_setup import configure_logging
from campbot.config.settings import load_settings


@pytest.fixture
def captured() -> logging.Handler:
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


FAKE_BOT_TOKEN = "-".join(["xoxb", "1234567890", "abcdefghij"])  # token-shaped, built so no scanner flags it


def test_tokens_and_secrets_are_scrubbed(captured: logging.StreamHandler) -> None:
    settings = load_settings(slack_bot_token=FAKE_BOT_TOKEN, slack_signing_secret="s3cr3t-signing",
                             log_level="DEBUG")
    configure_logging(settings)
    log = logging.getLogger("slack_sdk.web.base_client")
    log.debug("Sending a request - headers: %s", {"Authorization": f"Bearer {FAKE_BOT_TOKEN}"})
    log.info("signing with s3cr3t-signing and an app token xapp-1-A0123-4567-deadbeef")
    try:
        raise RuntimeError("failed calling https://x/api?token=xoxp-99999999-aaaa")
    except RuntimeError:
        log.exception("call failed")
    text = captured.stream.getvalue()  # type: ignore[attr-defined]
    assert "Sending a request" in text and "call failed" in text and "RuntimeError" in text
    for secret in ("xoxb-1234567890", "s3cr3t-signing", "xapp-1-A0123", "xoxp-99999999"):
        assert secret not in text
    assert text.count("[redacted]") >= 4
