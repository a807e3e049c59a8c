"""The e2e fixtures (real Bolt app over real HTTP, FakeSlack, signed requests), reused."""

from tests.e2e.conftest import bot, clock, ctx, fake_slack, slack, voting_open  # noqa: F401
