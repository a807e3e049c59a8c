"""Slack listeners: each module has one `register(app, ctx)` binding Slack ids to callbacks.

Callbacks ack first, call one service, render with `campbot.slack.blocks`, and post. They never open a
database session. `campbot.slack.listeners.common` gives them the AppContext and the request's event.
"""
