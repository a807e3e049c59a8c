"""The organisers' grid commands in Slack: solve, re-plan, publish, pin and exclude.

`/camp solve [seconds]` and `/camp replan [seconds]` start a background run (services/solving.py)
and answer at once; campbot.slack.solve_progress follows the run (a progress message, then the
organiser's **private preview**, which carries Publish and Re-solve buttons).

Publish (button or `/camp publish`) numbers the draft and sends everything (publishing.py); the
organiser is told what went out. Buttons check the organiser role again: a preview forwarded
to someone else is just text to them.

Also here: `/camp pin`, `unpin`, `exclude`, `include`, `close-room`, `open-room`, `host-gone`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from campbot.config.context import AppContext
from campbot.services import pins, publishing, replanning, solving
from campbot.services.errors import NotAllowed, ServiceError
from campbot.services.grid_queries import latest_draft
from campbot.services.organising import REFUSAL, is_organiser
from campbot.services.pins import PITCH_ID_MAX
from campbot.services.text_checks import small_number
from campbot.slack import slack_text
from campbot.slack.blocks import preview as preview_blocks
from campbot.slack.blocks.camp import room_change_text
from campbot.slack.directory import SlackDirectory
from campbot.slack.escape import escape
from campbot.slack.listeners.camp_router import CampRequest, CampSubcommand, register_subcommand
from campbot.slack.listeners.common import after_ack, app_context, event_for
from campbot.slack.notifier import SlackNotifier
from campbot.slack.replies import tell, user_id_of
from campbot.slack.solve_progress import SlackSolveNotifier
from campbot.store.tables import Event

log = logging.getLogger(__name__)

def _seconds(args: list[str]) -> float | None:
    if not args:
        return None
    try:
        return float(args[0].rstrip("s"))
    except ValueError:
        raise ServiceError(f"'{args[0]}' is not a number of seconds; try `/camp solve 30`.") from None


def _start(
    ctx: AppContext, event: Event, client: WebClient, *, user: str, channel: str, kind: str, seconds: float | None
) -> str:
    assert event.id is not None
    progress_channel = event.organisers_channel or channel
    notifier = SlackSolveNotifier(
        ctx, client, user=user, progress_channel=progress_channel, preview_channel=channel, kind=kind
    )
    if kind == "replan":
        replanning.start_replan(ctx, event.id, requested_by=user, seconds=seconds, channel=channel, notifier=notifier)
    else:
        solving.start_solve(ctx, event.id, requested_by=user, seconds=seconds, channel=channel, notifier=notifier)
    return start_reply(kind, escape(progress_channel), solving.last_run_seconds(ctx, event.id, kind))


def start_reply(kind: str, progress_channel: str, last_seconds: float | None) -> str:
    """The answer to `/camp solve` or `replan`: what happens now, not the worst case."""
    what = "Re-planning the rest of the day from the published grid" if kind == "replan" else "Solving"
    took = f" (the last {preview_blocks.WHAT.get(kind, kind)} took {last_seconds:.0f} s)" if last_seconds else ""
    return (
        f"{what} now. Progress shows in {progress_channel}; your private preview follows here as soon as "
        f"it is ready{took}."
    )


def _solve(ctx: AppContext, req: CampRequest) -> str:
    return _start(
        ctx, req.event, req.client, user=req.user_id, channel=req.channel_id, kind="solve", seconds=_seconds(req.args)
    )


def _replan(ctx: AppContext, req: CampRequest) -> str:
    return _start(
        ctx, req.event, req.client, user=req.user_id, channel=req.channel_id, kind="replan", seconds=_seconds(req.args)
    )


def plan_text(plan: str) -> str:
    """Told before a publish's sends start: what goes out, and about how long Slack's limits make it."""
    return f"Publishing: {plan}. You'll get a summary when it's done."


def publish_text(report: publishing.PublishReport) -> str:
    """What the organiser is told after a publish."""
    grids = sum(1 for k in report.sent + report.skipped if k.startswith("grid:"))
    text = (f"Published version {report.number}: the grid went out in {grids} message(s), "
            f"{report.cards} pitch card(s) are being redrawn")
    if report.number > 1:
        text += f", {len(report.changelog)} change(s) in the changelog, {len(report.dm_users)} people told by DM"
    text += "."
    if report.failed:
        text += (
            f" {len(report.failed)} message(s) could not be sent; press Publish (or `/camp publish`) "
            "again to retry just those."
        )
    for note in report.notes:
        text += f"\n_Note: {escape(note)}._"
    return text


PUBLISH_WORDS = {"coverage": solving.COVERAGE, "seats": solving.SEATS, "everyone": solving.SEATS}


def _publish(ctx: AppContext, req: CampRequest) -> str:
    """`/camp publish [run] [coverage|seats]`: the newest run's (or that run's) highest-coverage
    grid, or with `seats` its room-for-everyone grid."""
    assert req.event.id is not None
    run_id, objective = None, solving.COVERAGE
    for word in req.args:
        if word.lower() in PUBLISH_WORDS:
            objective = PUBLISH_WORDS[word.lower()]
            continue
        run_id = small_number(word, most=PITCH_ID_MAX)
        if run_id is None:
            raise ServiceError("`/camp publish` takes the number of a solve run and/or `seats` (the room-for-"
                               "everyone grid) or `coverage` (the default); for example `/camp publish seats`.")
    draft = latest_draft(ctx, req.event.id, run_id=run_id, objective=objective)
    assert draft.id is not None
    _, report = publishing.publish_with_report(ctx, req.event.id, draft.id, actor=req.user_id,
                                               notifier=SlackNotifier.for_client(ctx, req.client),
                                               on_plan=lambda plan: tell(req.client, req.body, plan_text(plan)))
    return publish_text(report)


def _pin(ctx: AppContext, req: CampRequest) -> str:
    assert req.event.id is not None
    if not req.args:
        raise ServiceError("Usage: `/camp pin #12 r3 11:00` (a room and/or a slot).")
    return escape(pins.pin_pitch(ctx, req.event.id, req.args[0], req.args[1:], actor=req.user_id))


def _unpin(ctx: AppContext, req: CampRequest) -> str:
    assert req.event.id is not None
    return escape(pins.unpin_pitch(ctx, req.event.id, req.text, actor=req.user_id))


def _exclude(ctx: AppContext, req: CampRequest) -> str:
    assert req.event.id is not None
    return escape(pins.set_excluded(ctx, req.event.id, req.text, True, actor=req.user_id))


def _include(ctx: AppContext, req: CampRequest) -> str:
    assert req.event.id is not None
    return escape(pins.set_excluded(ctx, req.event.id, req.text, False, actor=req.user_id))


CLOSE_ROOM_USAGE = "close-room r3 [from 13:00 | t4 t5]"
OPEN_ROOM_USAGE = "open-room r3 [from 13:00 | t4 t5]"


def _room_command(ctx: AppContext, req: CampRequest, *, close: bool) -> str:
    """`/camp close-room Main hall from 13:00` / `open-room r1`: the room, then optional slots."""
    assert req.event.id is not None
    usage = CLOSE_ROOM_USAGE if close else OPEN_ROOM_USAGE
    if not req.args:
        raise ServiceError(f"Usage: `/camp {usage}` (no slots: the rest of the day), then `/camp replan`.")
    room, slots = replanning.split_room_words(ctx, req.event.id, req.args)
    change = (replanning.close_room if close else replanning.open_room)(ctx, req.event.id, room, slots,
                                                                         actor=req.user_id)
    return room_change_text(change, closed=close)


def _close_room(ctx: AppContext, req: CampRequest) -> str:
    return _room_command(ctx, req, close=True)


def _open_room(ctx: AppContext, req: CampRequest) -> str:
    return _room_command(ctx, req, close=False)


def _host_gone(ctx: AppContext, req: CampRequest) -> str:
    assert req.event.id is not None
    who = slack_text.person_ref(req.slack_text)
    if who is None:
        raise ServiceError("Usage: `/camp host-gone @someone` (then `/camp replan`).")
    gone = replanning.host_gone(ctx, req.event.id, who.user_id, who.name, actor=req.user_id)
    return (
        f"Marked {escape(gone.name)} as gone for the rest of the day; their pitches "
        f"({escape(', '.join(gone.titles))}) will move or drop. Run `/camp replan`."
    )


SUBCOMMANDS = tuple(CampSubcommand(name, help_, fn, usage=usage) for name, help_, fn, usage in (
    ("solve", "run the solver and get a private preview", _solve, "solve [seconds]"),
    ("replan", "re-plan the rest of the day from the published grid", _replan, "replan [seconds]"),
    ("publish", "publish the newest draft grid (seats: its room-for-everyone grid)", _publish,
     "publish [run] [seats]"),
    ("pin", "keep a pitch in a room and/or slot", _pin, "pin #12 [room] [slot]"),
    ("unpin", "let the solver place a pitch freely again", _unpin, "unpin #12"),
    ("exclude", "leave a pitch out of the next solves", _exclude, "exclude #12"),
    ("include", "take an excluded pitch back in", _include, "include #12"),
    ("close-room", "close a room for the rest of the day, or from a time", _close_room, CLOSE_ROOM_USAGE),
    ("open-room", "undo close-room: the room is free again", _open_room, OPEN_ROOM_USAGE),
    ("host-gone", "a host has left: free their remaining slots", _host_gone, "host-gone @someone"),
))


def _require_organiser(ctx: AppContext, context: BoltContext, client: WebClient, user: str) -> Event:
    event = event_for(context)
    if not is_organiser(ctx, event, user, SlackDirectory(client)):
        raise NotAllowed(REFUSAL)
    return event


def publish_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    ctx = app_context(context)
    user = user_id_of(body)

    def work() -> None:
        event = _require_organiser(ctx, context, client, user)
        assert event.id is not None
        version_id = int(body["actions"][0]["value"])
        _, report = publishing.publish_with_report(ctx, event.id, version_id, actor=user,
                                                   notifier=SlackNotifier.for_client(ctx, client),
                                                   on_plan=lambda plan: tell(client, body, plan_text(plan)))
        tell(client, body, publish_text(report))

    after_ack(client, body, work)


def resolve_callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    ctx = app_context(context)
    user = user_id_of(body)

    def work() -> None:
        event = _require_organiser(ctx, context, client, user)
        kind, _, secs = str(body["actions"][0].get("value") or "solve:").partition(":")
        channel = (
            (body.get("channel") or {}).get("id")
            or (body.get("container") or {}).get("channel_id")
            or event.organisers_channel
            or ""
        )
        seconds = float(secs) if secs else None
        tell(
            client,
            body,
            _start(
                ctx,
                event,
                client,
                user=user,
                channel=channel,
                kind="replan" if kind == "replan" else "solve",
                seconds=seconds,
            ),
        )

    after_ack(client, body, work)


def _draft_menu_callback(apply: Callable[[AppContext, int, str, str], str]) -> Callable[..., None]:
    """A preview menu: ack, check the role, apply the chosen option (value), say what changed."""

    def callback(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        ctx = app_context(context)
        user = user_id_of(body)

        def work() -> None:
            event = _require_organiser(ctx, context, client, user)
            assert event.id is not None
            value = str(body["actions"][0]["selected_option"]["value"])
            tell(client, body, escape(apply(ctx, event.id, value, user)) + " Press Re-solve to apply it.")

        after_ack(client, body, work)

    return callback


def _pin_as_in_draft(ctx: AppContext, event_id: int, value: str, user: str) -> str:
    version_id, _, pitch_id = value.partition(":")
    return pins.pin_as_in_draft(ctx, event_id, int(version_id), int(pitch_id), actor=user)


def _exclude_from_menu(ctx: AppContext, event_id: int, value: str, user: str) -> str:
    return pins.set_excluded(ctx, event_id, f"#{value}", True, actor=user)


pin_select_callback = _draft_menu_callback(_pin_as_in_draft)
exclude_select_callback = _draft_menu_callback(_exclude_from_menu)


def register(app: App, ctx: AppContext) -> None:
    for sub in SUBCOMMANDS:
        register_subcommand(sub)
    app.action(preview_blocks.PUBLISH_ACTION)(publish_callback)
    app.action(preview_blocks.PUBLISH_OTHER_ACTION)(publish_callback)
    app.action(preview_blocks.RESOLVE_ACTION)(resolve_callback)
    app.action(preview_blocks.PIN_ACTION)(pin_select_callback)
    app.action(preview_blocks.EXCLUDE_ACTION)(exclude_select_callback)
