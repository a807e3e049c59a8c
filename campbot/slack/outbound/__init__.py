"""The one Slack-side sender: every Web API call of the bot goes out through here, paced ahead of
Slack's rate limits instead of bouncing off them.

* `limits`: Slack's documented limits per method (tiers) and per channel for posts.
* `budget`: one budget per workspace and method (and channel for posts), held in the database
  so that every worker process shares it; priorities (a person waiting > card refreshes > bulk).
* `client`: `PacedWebClient`, a slack_sdk WebClient that takes from the budget before every call
  and, on a 429 that still comes, holds the budget for everyone for Retry-After seconds.
* `background`: the pool that runs listeners' after-ack work, so the threads that acknowledge
  requests never wait for Slack.

Services and listeners only call `paced_client(ctx, token)` / `paced(client, ctx)` and
`sending_as(priority)`; nothing else needs to know about pacing.
"""
