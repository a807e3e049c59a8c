"""Pure Block Kit builders: data in, dicts out. No database, no network.

Every builder keeps within Slack's limits (campbot.slack.blocks.limits); user text goes through
campbot.slack.escape.escape before it lands in any text object.
"""
