"""The tests' fake Slack Web API: the local server from bot.local_slack (also used by the demo)."""

from bot.local_slack import Call, LocalSlack

FakeSlack = LocalSlack

__all__ = ["Call", "FakeSlack"]
