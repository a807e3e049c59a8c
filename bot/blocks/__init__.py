"""Pure Block Kit builders: data in, dicts out. No database, no network.

Every builder keeps within Slack's limits (bot.blocks.limits); user text goes through
bot.escape.escape before it lands in any text object.
"""
