"""The attendee pages are tested against the whole bot, as tests/e2e runs it: these are its
fixtures (fake Slack, the settable camp clock, the served app), shared rather than copied."""

from tests.e2e.conftest import bot, clock, ctx, fake_slack, slack, voting_open

__all__ = ["bot", "clock", "ctx", "fake_slack", "slack", "voting_open"]
