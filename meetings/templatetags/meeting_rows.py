"""Long per-invitee lists rendered in one pass.

The meeting page lists every invitee twice (the table by administration, and the chair's links
to record an answer). With a few hundred invitees, a template loop with a {% url %}, a
get_FOO_display and a translation per row costs most of the page's time; these tags render the
same markup from plain rows (meetings.invitees.InviteeRow, labels translated once) by string
formatting, every value escaped (html.escape: the values are plain str, and Django's escape
adds a lazy-text check per call).

    {% load meeting_rows %}
    <tbody>{% invitee_rows group.invitations %}</tbody>
    <ul>{% answer_for_links rows answer_for_url %}</ul>
"""

from html import escape

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from meetings.models import Invitation

register = template.Library()

# The answer-for URL is reversed once per page with this placeholder invitation pk, then each
# row's link is the prefix, the row's pk and the suffix.
PK_SLOT = 2147483647


def split_url(url: str) -> tuple[str, str]:
    """(prefix, suffix) around PK_SLOT in a URL reversed with it."""
    prefix, _, suffix = url.partition(str(PK_SLOT))
    return prefix, suffix


@register.simple_tag
def invitee_rows(rows) -> SafeString:
    """<tr>s of the invitee table (name, invited as, answer), as templates/meetings/_invitee_table.html
    renders them without the Remove column."""
    return mark_safe(  # every value is escaped
        "".join(
            f"<tr><td>{escape(row.name)}</td><td>{escape(row.source_label)}</td>"
            f'<td><span class="answer answer-{escape(row.rsvp)}">{escape(row.rsvp_label)}</span></td></tr>\n'
            for row in rows
        )
    )


@register.simple_tag
def answer_for_links(rows, url: str) -> SafeString:
    """<li>s linking to the chair's page recording each invitee's answer; `url` is meetings:answer-for
    reversed with PK_SLOT as the invitation pk."""
    prefix, suffix = split_url(escape(url))
    return mark_safe(  # every value is escaped
        "".join(
            f'<li><a href="{prefix}{row.pk}{suffix}">{escape(row.name)}</a> – {escape(row.rsvp_label)}</li>\n'
            for row in rows
        )
    )


def _errors(bound) -> str:
    """The errorlist of one bound field, as the template wrote it ("" without errors)."""
    if not bound.errors:
        return ""
    items = "".join(f"<li>{conditional_escape(error)}</li>" for error in bound.errors)
    return f'<ul class="errorlist" id="{escape(bound.auto_id)}_error">{items}</ul>'


@register.simple_tag
def attendance_rows(lines, or_guest: str, guest_name: str) -> SafeString:
    """The <tr>s of the attendance sheet (templates/meetings/attendance.html), one per line of
    meetings.forms.AttendanceForm.lines(): the invitee, their administration, their answer, the
    present / absent / excused radios and who represented them (a colleague, or a guest by name)."""
    stands_in_for = escape(gettext("stands in for"))
    answers = {value: escape(str(label)) for value, label in Invitation.Rsvp.choices}
    administrations: dict[int, str] = {}
    out = []
    for line in lines:
        invitation, status = line["row"].invitation, line["status"]
        represented, guest = line["represented_by"], line["represented_by_name"]
        failed = status.errors or (represented is not None and (represented.errors or guest.errors))
        out.append('<tr class="has-error">' if failed else "<tr>")
        out.append(f'<th scope="row" id="invitee-{invitation.pk}">{escape(invitation.display_name)}')
        if invitation.stands_in_for:
            names = ", ".join(escape(absent.display_name) for absent in invitation.stands_in_for)
            out.append(f' <span class="muted">({stands_in_for} {names})</span>')
        out.append("</th>\n<td>")
        administration = invitation.counted_administration
        if administration is not None:
            if administration.pk not in administrations:
                administrations[administration.pk] = (
                    f'<abbr title="{escape(administration.name)}">{escape(administration.acronym)}</abbr>'
                )
            out.append(administrations[administration.pk])
        rsvp = escape(invitation.rsvp)
        out.append(
            f'</td>\n<td><span class="answer answer-{rsvp}">{answers.get(invitation.rsvp, rsvp)}</span></td>\n'
        )
        invalid = (
            f' aria-describedby="{escape(status.auto_id)}_error" aria-invalid="true"' if status.errors else ""
        )
        out.append(
            f'<td>\n<fieldset class="radio-row"{invalid}>\n'
            f'<legend class="visually-hidden">{escape(str(status.label))}</legend>\n'
        )
        name = escape(status.html_name)
        for radio in line["radios"]:
            radio_id = escape(radio["id"])
            checked = " checked" if radio["checked"] else ""
            out.append(
                f'<span class="radio-choice"><input type="radio" name="{name}" value="{escape(radio["value"])}"'
                f' required id="{radio_id}"{checked}><label for="{radio_id}">{escape(radio["label"])}</label></span>\n'
            )
        out.append(f'</fieldset>\n{_errors(status)}</td>\n<td class="represented-by">')
        if represented is not None:
            if line["colleague_select"]:
                out.append(
                    f'\n<label for="{escape(represented.id_for_label)}" class="visually-hidden">'
                    f"{escape(str(represented.label))}</label>\n{line['colleague_select']}\n{_errors(represented)}"
                )
            value = guest.value()
            placeholder = or_guest if line["colleague_select"] else guest_name
            guest_invalid = (
                f' aria-invalid="true" aria-describedby="{escape(guest.auto_id)}_error"'
                if guest.errors
                else ""
            )
            out.append(
                f'\n<label for="{escape(guest.id_for_label)}" class="visually-hidden">{escape(str(guest.label))}</label>\n'
                f'<input type="text" name="{escape(guest.html_name)}" id="{escape(guest.id_for_label)}"'
                f' value="{escape("" if value is None else str(value))}" maxlength="{guest.field.max_length}"'
                f' placeholder="{escape(str(placeholder))}" autocomplete="off"{guest_invalid}>\n{_errors(guest)}'
            )
        out.append("</td>\n</tr>\n")
    return mark_safe("".join(out))  # every value is escaped
