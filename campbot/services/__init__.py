"""Use cases shared by Slack listeners, scheduled jobs and the CLI; one module per area.

Each function takes an `AppContext` first and opens its own short unit of work, so callers
never hold a database session.
"""
