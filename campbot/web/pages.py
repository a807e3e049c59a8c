"""The attendee pages: each handler reads the form, calls one service, and renders or redirects.

GOV.UK patterns: one thing per page; a form that fails comes back with "There is a problem"
at the top (each problem a link to its field) and the same words beside the field; after a
successful POST the browser is redirected (303) so a reload never sends the form twice. The
words of field errors are the service's (campbot.services.pitch_input.check_pitch), the same the
Slack modal shows. Nothing here needs JavaScript.
"""

from __future__ import annotations

import secrets
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    Response,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as AnyResponse

from campbot.services import attendee_links, attendees, board, home, my_day, pitch_input, pitching, voting
from campbot.services.attendees import AttendeeView
from campbot.services.errors import NotAllowed, NotFound, ServiceError
from campbot.services.pitch_words import (
    DESCRIPTION_PLACEHOLDER,
    FIELD_LABELS,
    FORMAT_LABELS,
    LENGTH_LABELS,
    NEED_LABELS,
    TAGS_HINT,
    TITLE_PLACEHOLDER,
    UNAVAILABLE_HINT,
)
from campbot.services.room_needs import needs_warning
from campbot.services.times import slot_time
from campbot.web.face import current_face, too_many
from campbot.web.guard import SESSION_ATTENDEE, SESSION_CSRF, SESSION_VERSION, new_csrf_token

LINK_GONE = ("This link no longer works",
             "The personal link you used has been replaced or is not right. Ask at the registration desk "
             "(or an organiser) for your new link.")
NOT_SIGNED_IN = ("Open your personal link first",
                 "These pages are for people on the camp's attendee list. Open the personal link the organisers "
                 "sent you (by email, or on the card from the registration desk). If you don't have one, ask at "
                 "the registration desk.")
Page = AnyResponse | str  # what a handler gives Flask: a response (a redirect too) or an HTML body
VOTE_DONE, VOTE_ERROR = "vote-done", "vote-error"  # a vote's answer, shown beside its pitch
VOTED_PITCH = "voted"  # session key: the pitch whose answer is waiting to be shown
FORM_FIELDS = ("title", "description", "format", "length", "needs", "unavailable", "tags")


def _message(title: str, message: str, status: int) -> Response:
    return Response(render_template("message.html", title=title, message=message), status=status)


def _signed_out() -> Page:
    if g.get("revoked"):
        return _message(*LINK_GONE, status=403)
    return _message(*NOT_SIGNED_IN, status=403)


def _who() -> AttendeeView | None:
    attendee: AttendeeView | None = g.get("attendee")
    return attendee


def _person_id(attendee: AttendeeView) -> int:
    """Who the attendee votes and pitches as. `attendee` was read at the start of this request,
    so a link made since is already in it; only the first visit needs the write that makes
    their Person (a vote then costs one write transaction, not two)."""
    if attendee.person_id is not None:
        return attendee.person_id
    return attendees.voter_person_id(current_face().ctx.engine, attendee.id)


# --------------------------------------------------------------------------- sign in and out


def sign_in(token: str) -> Page:
    """Links that fail are limited per client address (someone trying tokens), and every
    opening of one good link per attendee; good links of different people from one address are
    not limited, because a venue's Wi-Fi puts a whole camp behind one address at 9 am."""
    face = current_face()
    address = f"addr:{request.remote_addr or '?'}"
    wait = face.sign_in_failures.peek(address)
    if wait > 0:
        return too_many(wait)
    attendee = attendee_links.attendee_for_token(face.ctx.engine, face.master, token) if len(token) <= 200 else None
    if attendee is None:
        face.sign_in_failures.take(address)
        session.clear()
        return _message(*LINK_GONE, status=404)
    wait = face.sign_in_limiter.take(f"attendee:{attendee.id}")
    if wait > 0:
        return too_many(wait)
    session.clear()
    session.permanent = True
    session[SESSION_ATTENDEE] = attendee.id
    session[SESSION_VERSION] = attendee.token_version
    session[SESSION_CSRF] = new_csrf_token()
    return redirect(url_for("me"), code=303)  # the token leaves the address bar and the history


def sign_out() -> Page:
    session.clear()
    return _message("You are signed out", "This browser has forgotten who you are. Open your personal link to "
                    "sign in again.", status=200)


# --------------------------------------------------------------------------- your page


def me() -> Page:
    attendee = _who()
    if attendee is None:
        return _signed_out()
    ctx = current_face().ctx
    data = home.home_for_person(ctx, attendee.event_id, _person_id(attendee))
    return render_template("me.html", title="Your camp", home=data, name=attendee.name)


def my_day_page() -> Page:
    attendee = _who()
    if attendee is None:
        return _signed_out()
    ctx = current_face().ctx
    day = my_day.my_day(ctx, attendee.event_id, _person_id(attendee))
    feed = f"{ctx.settings.public_url.rstrip('/')}/ical/person/{day.feed_token}.ics"
    zone = ZoneInfo(day.timezone)
    return render_template("day.html", title="Your day", day=day, feed=feed,
                           when=lambda item: slot_time(item.start, item.end, zone),
                           day_name=lambda item: f"{item.start.astimezone(zone):%A %-d %B}")


# --------------------------------------------------------------------------- the pitch list and votes


def pitch_list() -> Page:
    attendee = _who()
    if attendee is None:
        return _signed_out()
    q = request.args.get("q", "")[:200]
    tag = request.args.get("tag", "")[:60]
    data = board.pitch_board(current_face().ctx, attendee.event_id, _person_id(attendee), text=q, tag=tag)
    voted = session.pop(VOTED_PITCH, None)
    answers = get_flashed_messages(with_categories=True, category_filter=[VOTE_DONE, VOTE_ERROR])
    if not any(p.id == voted for p in data.pitches):
        voted = None  # shown at the top instead
    return render_template("pitches.html", title="Pitches", board=data, q=q, tag=tag, voted=voted, answers=answers,
                           format_labels=FORMAT_LABELS, need_labels=NEED_LABELS,
                           hidden_words=voting.HIDDEN_COUNT)


def vote(pitch_id: int) -> Page:
    attendee = _who()
    if attendee is None:
        return _signed_out()
    face = current_face()
    want = request.form.get("want") == "1"
    q, tag = request.form.get("q", "")[:200], request.form.get("tag", "")[:60]
    try:
        result = voting.toggle_vote_for_person(face.ctx, attendee.event_id, _person_id(attendee), pitch_id, want=want)
    except ServiceError as exc:
        flash(str(exc), VOTE_ERROR)
    else:
        left = result.quota - result.used
        flash(("You're interested. " if result.voted else "Interest taken back. ")
              + f"You have {left} vote{'s' if left != 1 else ''} left.", VOTE_DONE)
        face.refresh_cards(attendee.event_id, [pitch_id])
    session[VOTED_PITCH] = pitch_id  # the answer is shown on that pitch, where the page scrolls to
    return redirect(url_for("pitch_list", q=q or None, tag=tag or None, _anchor=f"pitch-{pitch_id}"), code=303)


# --------------------------------------------------------------------------- pitch, edit, withdraw


def _read_form() -> tuple[pitch_input.PitchInput, dict[str, Any]]:
    """The typed form as a PitchInput, and as typed (to show it again beside its errors)."""
    form = request.form
    title, description, fmt = form.get("title", ""), form.get("description", ""), form.get("format", "")
    length, tags = form.get("length", ""), form.get("tags", "")
    needs, unavailable = form.getlist("needs"), form.getlist("unavailable")
    raw: dict[str, Any] = {"title": title, "description": description, "format": fmt, "length": length,
                           "needs": needs, "unavailable": unavailable, "tags": tags}
    data = pitch_input.PitchInput(
        title=title, description=description, format=fmt, length=int(length) if length in ("1", "2") else 0,
        needs=tuple(needs), unavailable_slots=tuple(unavailable), tags=pitch_input.parse_tags(tags),
    )
    return data, raw


def _as_raw(data: pitch_input.PitchInput) -> dict[str, Any]:
    return {"title": data.title, "description": data.description, "format": data.format, "length": str(data.length),
            "needs": list(data.needs), "unavailable": list(data.unavailable_slots), "tags": ", ".join(data.tags)}


def _form_page(*, heading: str, action: str, submit: str, raw: dict[str, Any], errors: dict[str, str],
               event_id: int, status: int = 200, warning: str | None = None, problem: str | None = None) -> Response:
    ctx = current_face().ctx
    slots = pitching.event_slots(ctx, event_id)
    slot_options = [(s.key, slot_time(s.start, s.end, s.start.tzinfo or ZoneInfo("UTC"))) for s in slots]
    # A field error for a field the web form has no input for (co-hosts) goes on the title.
    shown = {k: v for k, v in errors.items() if k in FORM_FIELDS}
    if errors and len(shown) < len(errors):
        extra = "; ".join(v for k, v in errors.items() if k not in FORM_FIELDS)
        shown["title"] = f"{shown['title']} {extra}" if "title" in shown else extra
    order = [f for f in FORM_FIELDS if f in shown]
    page_title = ("Error: " if shown or problem else "") + heading
    body = render_template(
        "pitch_form.html", title=page_title, heading=heading, action=action, submit=submit, raw=raw,
        errors=shown, error_order=order, labels=FIELD_LABELS, formats=FORMAT_LABELS, lengths=LENGTH_LABELS,
        needs=[(n, NEED_LABELS[n]) for n in pitch_input.NEEDS], slots=slot_options, warning=warning, problem=problem,
        title_max=pitch_input.TITLE_MAX, description_max=pitch_input.DESCRIPTION_MAX,
        title_placeholder=TITLE_PLACEHOLDER, description_placeholder=DESCRIPTION_PLACEHOLDER,
        unavailable_hint=UNAVAILABLE_HINT, tags_hint=TAGS_HINT, submission=request.form.get("submission")
        or secrets.token_urlsafe(16),
    )
    return Response(body, status=status)


def new_pitch() -> Page:
    attendee = _who()
    if attendee is None:
        return _signed_out()
    face = current_face()
    action, heading, submit = url_for("new_pitch"), "Pitch a session", "Pitch it"
    if request.method == "GET":
        raw = _as_raw(pitch_input.PitchInput(title=""))
        raw["length"] = "1"
        return _form_page(heading=heading, action=action, submit=submit, raw=raw, errors={},
                          event_id=attendee.event_id)
    data, raw = _read_form()
    submission = request.form.get("submission", "")[:64] or None
    key = f"web:{attendee.id}:{submission}" if submission else None
    try:
        done = pitching.submit_pitch_for_person(face.ctx, attendee.event_id, _person_id(attendee), data,
                                                submission_key=key)
    except ServiceError as exc:
        return _refused(exc, heading=heading, action=action, submit=submit, raw=raw, event_id=attendee.event_id,
                        needs=data.needs)
    card = done.card
    if done.created:
        face.post_new_card(attendee.event_id, card.id)
    return _saved(f"Your pitch #{card.id} “{card.title}” is saved. People can now say they're interested.",
                  attendee.event_id, card.needs)


def _refused(exc: ServiceError, *, heading: str, action: str, submit: str, raw: dict[str, Any], event_id: int,
             needs: tuple[str, ...] | list[str]) -> Page:
    """The form again, as typed: field errors beside their fields, any other refusal at the top."""
    if isinstance(exc, pitch_input.InvalidPitch):
        return _form_page(heading=heading, action=action, submit=submit, raw=raw, errors=exc.errors,
                          event_id=event_id, status=400, warning=needs_warning(current_face().ctx, event_id, needs))
    return _form_page(heading=heading, action=action, submit=submit, raw=raw, errors={}, event_id=event_id,
                      status=400, problem=str(exc))


def _saved(message: str, event_id: int, needs: tuple[str, ...] | list[str]) -> Page:
    """Back to the person's page, saying it is saved (and, again, if no room meets the needs)."""
    flash(message, "success")
    warning = needs_warning(current_face().ctx, event_id, needs)
    if warning:
        flash(warning, "warning")
    return redirect(url_for("me"), code=303)


def edit_pitch(pitch_id: int) -> Page:
    attendee = _who()
    if attendee is None:
        return _signed_out()
    face = current_face()
    person_id = _person_id(attendee)
    action, heading, submit = url_for("edit_pitch", pitch_id=pitch_id), "Edit your pitch", "Save"
    try:
        card, current = pitching.pitch_for_edit_by_person(face.ctx, attendee.event_id, pitch_id, person_id)
    except NotFound as exc:
        return _message("Pitch not found", str(exc), status=404)
    except NotAllowed as exc:
        return _message("Only hosts can change a pitch", str(exc), status=403)
    except ServiceError as exc:
        return _message("This pitch can't be changed", str(exc), status=409)
    heading = f"Edit your pitch #{card.id}"
    if request.method == "GET":
        return _form_page(heading=heading, action=action, submit=submit, raw=_as_raw(current), errors={},
                          event_id=attendee.event_id, warning=needs_warning(face.ctx, attendee.event_id, current.needs))
    data, raw = _read_form()
    try:
        saved = pitching.edit_pitch_for_person(face.ctx, attendee.event_id, pitch_id, person_id, data)
    except ServiceError as exc:
        return _refused(exc, heading=heading, action=action, submit=submit, raw=raw, event_id=attendee.event_id,
                        needs=data.needs)
    face.refresh_cards(attendee.event_id, [pitch_id])
    return _saved(f"Your pitch #{saved.id} “{saved.title}” is saved.", attendee.event_id, saved.needs)


def withdraw_pitch(pitch_id: int) -> Page:
    attendee = _who()
    if attendee is None:
        return _signed_out()
    face = current_face()
    person_id = _person_id(attendee)
    try:
        card, _ = pitching.pitch_for_edit_by_person(face.ctx, attendee.event_id, pitch_id, person_id)
    except NotFound as exc:
        return _message("Pitch not found", str(exc), status=404)
    except NotAllowed as exc:
        return _message("Only hosts can withdraw a pitch", str(exc), status=403)
    except ServiceError as exc:
        return _message("This pitch is already out", str(exc), status=409)
    if request.method == "GET":
        return render_template("withdraw.html", title=f"Withdraw pitch #{card.id}?", card=card)
    pitching.withdraw_pitch_for_person(face.ctx, attendee.event_id, pitch_id, person_id)
    face.refresh_cards(attendee.event_id, [pitch_id])
    flash(f"Your pitch #{card.id} “{card.title}” is withdrawn. Its votes are kept for the record, "
          "but it won't be scheduled.", "success")
    return redirect(url_for("me"), code=303)


def root() -> Page:
    if _who() is not None:
        return redirect(url_for("me"), code=303)
    return _message(*NOT_SIGNED_IN, status=200)


def register(app: Flask) -> None:
    """Bind the URLs (the table in campbot.web.app's docstring) to the handlers above."""
    app.add_url_rule("/", "root", root)
    app.add_url_rule("/me/<path:token>", "sign_in", sign_in)
    app.add_url_rule("/me", "me", me)
    app.add_url_rule("/me/day", "my_day", my_day_page)
    app.add_url_rule("/signout", "sign_out", sign_out, methods=["POST"])
    app.add_url_rule("/pitches", "pitch_list", pitch_list)
    app.add_url_rule("/pitches/<int:pitch_id>/vote", "vote", vote, methods=["POST"])
    app.add_url_rule("/pitches/new", "new_pitch", new_pitch, methods=["GET", "POST"])
    app.add_url_rule("/pitches/<int:pitch_id>/edit", "edit_pitch", edit_pitch, methods=["GET", "POST"])
    app.add_url_rule("/pitches/<int:pitch_id>/withdraw", "withdraw_pitch", withdraw_pitch, methods=["GET", "POST"])
