"""`/camp <subcommand>`: a registry, so each area adds its own subcommands from its own module.

How to add a subcommand (from any module, e.g. campbot/slack/listeners/organiser_grid.py)::

    from campbot.slack.listeners.camp_router import CampReply, CampRequest, CampSubcommand, register_subcommand
    from campbot.config.context import AppContext

    def solve_subcommand(ctx: AppContext, req: CampRequest) -> CampReply | str | None:
        # req.args: words after "solve" (quotes respected); req.text: the rest, decoded once
        # (campbot.slack.slack_text: `&amp;` is `&`, mentions read `@name`); req.slack_text: the rest
        # parsed, for the ids of mentioned people (slack_text.person_ref);
        # req.event, req.user_id, req.channel_id, req.trigger_id, req.client, req.body.
        # Call one service; raise campbot.services.errors.ServiceError("message") to refuse.
        return "Solving… I'll post the preview here."   # an ephemeral reply to the caller

    register_subcommand(CampSubcommand(
        name="solve", usage="solve [seconds]", help="run the solver and show a private preview",
        handler=solve_subcommand, organiser_only=True))

Registration can happen at import time or in your module's `register(app, ctx)`;
`build_app` calls the `register(app, ctx)` of every module in campbot.slack.app.LISTENER_MODULES
(add yours there). Registering a name again replaces it.

The router (run after the slash command is acked) finds the event, checks the organiser
role on our side for `organiser_only` subcommands (others get a polite refusal and the
handler never runs), runs the handler and sends its reply privately through the
response_url. A `CampReply(in_channel=True)` is shown to the channel instead. Return None
when the handler answered by itself (e.g. opened a modal with req.trigger_id).

How to add a button/menu action: a module-level callback, bound in your `register(app, ctx)`::

    from slack_bolt import Ack, App, BoltContext
    from slack_sdk import WebClient
    from campbot.slack.listeners.common import after_ack, app_context, event_for
    from campbot.slack.replies import tell, user_id_of

    def publish_callback(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ack()                                   # at once, before any slow work

        def work() -> None:                     # runs after the ack, on Bolt's worker thread
            ctx, event = app_context(context), event_for(context)   # event by the request's team
            value = body["actions"][0]["value"]
            ...                                 # check the role: services.organising.is_organiser
            tell(client, body, "Published.")    # private reply (response_url / ephemeral / DM)

        after_ack(client, body, work)           # ServiceError -> its message told to the person;
                                                # anything else -> logged, and a polite sorry

    def register(app: App, ctx: AppContext) -> None:
        app.action("grid_publish")(publish_callback)

Build buttons with campbot.slack.blocks.common.button(...); escape user text with campbot.slack.escape.escape.
For a modal, `app.view("<callback_id>")(...)` and ack(response_action="errors", errors={block_id: msg}).

Replays and retries are dropped for you (see campbot.slack.app): commands and modal submissions before
your callback runs; clicks and events in memory before it runs and across worker processes
inside after_ack, so do a click's work inside after_ack(...) to be covered everywhere.
"""

from __future__ import annotations

import logging
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from campbot.config.context import AppContext
from campbot.services.errors import ServiceError
from campbot.services.organising import REFUSAL, is_organiser
from campbot.slack.directory import SlackDirectory
from campbot.slack.escape import escape
from campbot.slack.slack_text import SlackText, parse
from campbot.store.tables import Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CampRequest:
    """One `/camp` invocation, parsed; what a subcommand handler gets."""

    event: Event
    user_id: str
    name: str  # the subcommand, lower-cased
    args: list[str]  # the words after it; "quoted words" stay together
    text: str  # the text after the subcommand, entities decoded, mentions written `@name`
    channel_id: str
    trigger_id: str
    team_id: str | None
    client: WebClient
    is_organiser: bool
    body: dict[str, Any] = field(default_factory=dict)
    slack_text: SlackText = field(default_factory=lambda: parse(""))  # `text` with the mentions' ids


@dataclass(frozen=True)
class CampReply:
    text: str
    blocks: list[dict[str, Any]] | None = None
    in_channel: bool = False


Handler = Callable[[AppContext, CampRequest], "CampReply | str | None"]


@dataclass(frozen=True)
class CampSubcommand:
    name: str
    help: str
    handler: Handler
    organiser_only: bool = True
    usage: str = ""


_registry: dict[str, CampSubcommand] = {}
_lock = threading.Lock()


def register_subcommand(sub: CampSubcommand) -> CampSubcommand:
    """Add (or replace) a `/camp` subcommand. Names are one word, matched case-insensitively."""
    name = sub.name.strip().lower()
    if not name or " " in name:
        raise ValueError(f"a /camp subcommand name is one word, not {sub.name!r}")
    with _lock:
        _registry[name] = sub
    return sub


def subcommand(name: str, *, help: str, usage: str = "", organiser_only: bool = True) -> Callable[[Handler], Handler]:
    """Decorator form of register_subcommand."""

    def deco(fn: Handler) -> Handler:
        register_subcommand(
            CampSubcommand(name=name, help=help, handler=fn, organiser_only=organiser_only, usage=usage or name)
        )
        return fn

    return deco


def get_subcommand(name: str) -> CampSubcommand | None:
    with _lock:
        return _registry.get(name.strip().lower())


def all_subcommands() -> list[CampSubcommand]:
    with _lock:
        return sorted(_registry.values(), key=lambda s: s.name)


def split_args(text: str) -> list[str]:
    """Words, with "double", 'single' or “curly” quotes keeping a phrase together (phones
    turn straight quotes curly); an unbalanced quote falls back to plain splitting."""
    normal = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    try:
        return shlex.split(normal)
    except ValueError:
        return normal.split()


def help_text(organiser: bool) -> str:
    lines = ["*/camp* commands:"]
    for sub in all_subcommands():
        if sub.organiser_only and not organiser:
            continue
        lines.append(f"• `/camp {escape(sub.usage or sub.name)}` — {escape(sub.help)}")
    if not organiser:
        lines.append("_Organisers have more commands. To pitch a session, use `/pitch`._")
    return "\n".join(lines)


def _user_name(client: WebClient, user_id: str) -> str | None:
    """A person's name for a `<@U123>` mention that came without one (users:read)."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except Exception as exc:  # noqa: BLE001 - a name is a nicety: the id still works
        log.info("users.info for a mention failed: %s", type(exc).__name__)
        return None
    profile = user.get("profile") or {}
    return str(profile.get("display_name") or user.get("real_name") or user.get("name") or "") or None


def route(ctx: AppContext, *, event: Event, body: dict[str, Any], client: WebClient) -> CampReply | None:
    """Run one `/camp` command body (after the ack) and return the reply to send.

    The edge for `/camp` text: what Slack sent is parsed and decoded here, once
    (campbot.slack.slack_text); handlers get it decoded and never decode again."""
    name, rest = parse(str(body.get("text") or "")).split_first_word()
    name = name or "help"
    user_id = str(body.get("user_id", ""))
    sub = get_subcommand(name)
    organiser = is_organiser(ctx, event, user_id, SlackDirectory(client))
    if sub is None:
        return CampReply(f"I don't know `/camp {escape(name)}`.\n" + help_text(organiser))
    if sub.organiser_only and not organiser:
        log.info("refused /camp %s to non-organiser %s", name, user_id)
        return CampReply(REFUSAL)
    if rest.unlabelled_users():
        rest = rest.with_user_names(lambda uid: _user_name(client, uid))
    req = CampRequest(
        event=event,
        user_id=user_id,
        name=name,
        args=split_args(rest.plain),
        text=rest.plain,
        channel_id=str(body.get("channel_id", "")),
        trigger_id=str(body.get("trigger_id", "")),
        team_id=body.get("team_id"),
        client=client,
        is_organiser=organiser,
        body=body,
        slack_text=rest,
    )
    try:
        result = sub.handler(ctx, req)
    except ServiceError as exc:  # plain text from the service, which may quote what people typed
        return CampReply(escape(str(exc)))
    if result is None or isinstance(result, CampReply):
        return result
    return CampReply(str(result))


def _help(ctx: AppContext, req: CampRequest) -> CampReply:
    return CampReply(help_text(req.is_organiser))


register_subcommand(
    CampSubcommand(name="help", help="list the commands you can use", handler=_help, organiser_only=False, usage="help")
)
