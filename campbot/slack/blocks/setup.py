"""Block Kit for `/camp setup` and `/camp export`: data in, (fallback text, blocks) out."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from campbot.services.setup import SetupSummary
from campbot.services.times import slot_time
from campbot.slack.escape import escape

Blocks = list[dict[str, Any]]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def setup_reply(s: SetupSummary) -> tuple[str, Blocks]:
    zone = ZoneInfo(s.timezone)

    times = {k: (start, end) for k, start, end, _ in s.slots}
    channels = ", ".join(f"{k}: {escape(v or 'not set')}" for k, v in s.channels.items())
    head = (f"*{escape(s.name)}* (`{escape(s.slug)}`, {escape(s.timezone)})\n"
            f"{s.voting_plan} Quota *{s.quota}* votes each.\n"
            f"Channels: {channels}\nOrganisers: {escape(', '.join(s.organisers) or 'none listed')}")
    rooms = "\n".join(
        f"• `{escape(k)}` {escape(name)}: {seats} seats"
        + (f", {escape(', '.join(f))}" if f else "")
        + (f" (closed {', '.join(slot_time(*times[c], zone) for c in closed if c in times)})" if closed else "")
        for k, name, seats, f, closed in s.rooms)
    slots = "\n".join(f"• {slot_time(start, end, zone)} (`{escape(k)}`, {escape(block)})"
                      for k, start, end, block in s.slots)
    blocks = [_section(head), _section("*Rooms*\n" + rooms), _section("*Slots*\n" + slots),
              {"type": "context", "elements": [{"type": "mrkdwn", "text":
               "Change the quota or closing time with `/camp setup quota 12` or `/camp setup closes 09:45`; "
               "rooms and slots with `campbot event load FILE`. On the day, `/camp close-room r1 from 13:00` "
               "closes a room (kept across loads of the file) and `/camp open-room r1` opens it again."}]}]
    return f"Set-up of {s.name}", blocks


def export_reply(public_url: str, feed_token: str) -> tuple[str, Blocks]:
    base = public_url.rstrip("/")
    links = [("Grid (print)", "/grid"), ("Grid (big screen)", "/grid?mode=screen"),
             ("Calendar: whole event", "/ical/event.ics"),
             ("Calendar: your sessions", f"/ical/person/{feed_token}.ics"),
             ("Grid CSV (GovCamp session sheet)", "/data/grid.csv"), ("Grid JSON", "/data/grid.json"),
             ("Schedule JSON (frab/pretalx apps)", "/data/schedule.json"), ("Pitch list JSON", "/data/pitches.json")]
    text = "\n".join(f"• <{base}{path}|{label}>" for label, path in links)
    note = "Everything but your own calendar link is public; keep that one to yourself."
    return "Where the grid lives off Slack", [_section("*The grid off Slack*\n" + text),
                                              {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]
