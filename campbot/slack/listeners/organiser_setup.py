"""`/camp setup` and `/camp export`: the event's set-up, and where the grid lives off Slack."""

from __future__ import annotations

from slack_bolt import App

from campbot.config.context import AppContext
from campbot.services import setup
from campbot.services.errors import ServiceError
from campbot.slack.blocks.setup import export_reply, setup_reply
from campbot.slack.listeners.camp_router import CampReply, CampRequest, CampSubcommand, register_subcommand

SETUP_USAGE = "setup [quota N | closes HH:MM]"


def setup_subcommand(ctx: AppContext, req: CampRequest) -> CampReply | str:
    assert req.event.id is not None
    match [a.lower() for a in req.args]:
        case []:
            text, blocks = setup_reply(setup.setup_summary(ctx, req.event.id))
            return CampReply(text=text, blocks=blocks)
        case ["quota", number] if number.isascii() and number.isdigit():
            return setup.set_quota(ctx, req.event.id, int(number), actor=req.user_id)
        case ["closes", when]:
            return setup.set_voting_closes(ctx, req.event.id, when, actor=req.user_id)
        case _:
            raise ServiceError(f"Try `/camp {SETUP_USAGE}`. Rooms and slots change with "
                               "`campbot event load FILE`, so the whole grid is checked first.")


def export_subcommand(ctx: AppContext, req: CampRequest) -> CampReply:
    assert req.event.id is not None
    token = setup.feed_token_for(ctx, req.event.id, req.user_id)
    text, blocks = export_reply(ctx.settings.public_url, token)
    return CampReply(text=text, blocks=blocks)


def register(app: App, ctx: AppContext) -> None:
    register_subcommand(CampSubcommand(name="setup", usage=SETUP_USAGE, handler=setup_subcommand,
                                       help="show the event's rooms, slots and settings; change quota or closing time"))
    register_subcommand(CampSubcommand(name="export", usage="export", handler=export_subcommand,
                                       help="links to the grid page, calendar feeds and open data"))
