"""One person on Slack and on the web: an attendee on the ticket list and a Slack user become one
voter with one quota (campbot.services.attendees), in two ways.

* **By the person.** They send campbot their personal link in a direct message. Holding the
  link proves the ticket is theirs, and Slack vouches for the user who sent it, so nothing
  else is asked. The DM listener (events.message_callback) hands every DM here first.
* **By the organisers.** `/camp link-attendees` reads the workspace's members with their
  profile email (users.list, with the users:read.email scope) and links every attendee whose
  ticket email is a member's.

When the two already had votes, the web's move onto the Slack user (a pitch voted on both
counts once; past the quota the newest web votes go, and the person is told which), and the
changed cards are redrawn.
"""

from __future__ import annotations

import re

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from campbot.config.context import AppContext
from campbot.services.attendee_links import attendee_for_token, signing_key
from campbot.services.attendees import AlreadyLinked, LinkResult, link_slack_by_email, link_slack_user
from campbot.services.errors import ServiceError
from campbot.slack.escape import escape
from campbot.slack.listeners.camp_router import CampReply, CampRequest, CampSubcommand, register_subcommand
from campbot.slack.listeners.cards import refresh_event_cards

# a personal link's path, as people paste it (Slack wraps links as <url> or <url|label>)
PERSONAL_LINK = re.compile(r"/me/([A-Za-z0-9_-]+\.[0-9]+\.[A-Za-z0-9_-]+)")
PAGE_SIZE = 200  # users.list's own advice for a page


def link_from_dm(ctx: AppContext, client: WebClient, event_id: int, user_id: str, text: str) -> str | None:
    """The answer to a DM holding a personal link (None: the DM holds none, answer it as usual)."""
    found = PERSONAL_LINK.search(text or "")
    if found is None:
        return None
    attendee = attendee_for_token(ctx.engine, signing_key(ctx.engine, ctx.settings.web_secret), found.group(1))
    if attendee is None or attendee.event_id != event_id:
        return ("That link does not work (any more): a link stops working when the organisers send a new one. "
                "Ask at the registration desk for your current link.")
    try:
        result = link_slack_user(ctx.engine, attendee.id, user_id)
    except AlreadyLinked as exc:
        return f"{exc}. If that is wrong, the organisers can help."
    if result.pitch_ids:
        refresh_event_cards(ctx, client, event_id, result.pitch_ids)
    return linked_words(result)


def linked_words(result: LinkResult) -> str:
    """What the person hears: linked, what moved, what had to go."""
    if not result.changed:
        return (f"You're already linked: the ticket of *{escape(result.attendee.name)}* and this Slack account "
                "vote as one.")
    words = (f"Linked: the ticket of *{escape(result.attendee.name)}* and this Slack account are one person now, with "
             "one set of votes, on Slack and on the web.")
    if result.votes_moved:
        words += f" Your {result.votes_moved} vote(s) from the web count here too."
    if result.votes_dropped:
        titles = ", ".join(f"*{escape(t)}*" for t in result.votes_dropped)
        words += f" Together they were more than your quota, so these newest web votes were taken back: {titles}."
    return words


def members_with_email(client: WebClient) -> list[tuple[str, str | None]]:
    """(user id, profile email) of every person in the workspace: no bots, no deactivated accounts."""
    members: list[tuple[str, str | None]] = []
    cursor: str | None = None
    while True:
        page = client.users_list(limit=PAGE_SIZE, cursor=cursor) if cursor else client.users_list(limit=PAGE_SIZE)
        for user in page.get("members") or []:
            if user.get("is_bot") or user.get("deleted") or user.get("id") == "USLACKBOT":
                continue
            members.append((str(user["id"]), (user.get("profile") or {}).get("email")))
        cursor = ((page.get("response_metadata") or {}).get("next_cursor")) or None
        if not cursor:
            return members


def link_attendees_subcommand(ctx: AppContext, req: CampRequest) -> CampReply:
    assert req.event.id is not None
    try:
        members = members_with_email(req.client)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        if error == "missing_scope":
            raise ServiceError("campbot may not read members' emails: add the users:read and users:read.email scopes "
                               "to the app (app.yaml has them) and reinstall it, then try again.") from None
        raise ServiceError(f"Slack did not list the members ({error}); try again in a minute.") from None
    if members and not any(email for _, email in members):
        raise ServiceError("Slack showed no member emails: the app needs the users:read.email scope (reinstall it).")
    report = link_slack_by_email(ctx.engine, req.event.id, members)
    if report.linked:  # web votes moved onto Slack users: their cards' counts may have changed
        refresh_event_cards(ctx, req.client, req.event.id)
    lines = [f"Linked {len(report.linked)} attendee(s) to their Slack accounts by email; "
             f"{report.already} were linked already; {report.unmatched} member(s) are on no ticket."]
    lines += [f"• {escape(problem)}" for problem in report.problems[:20]]
    return CampReply(text="\n".join(lines))


def register(app: App, ctx: AppContext) -> None:
    register_subcommand(CampSubcommand(
        name="link-attendees", usage="link-attendees", handler=link_attendees_subcommand,
        help="make each attendee on the ticket list and the Slack member with their email one voter"))
