"""Forms of the meetings pages. They only validate input; the rules live in meetings.services."""

from datetime import date
from html import escape

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from core import date_window, documents
from core.forms import DateInput
from core.i18n import LANGUAGE_CODES
from core.translated import language_form_fields, translated_names
from meetings import attendance as attendance_service
from meetings import minutes as minutes_service
from meetings import rsvp
from meetings.invitees import SUBSTITUTE_REFUSED
from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    AttendanceMode,
    Document,
    Invitation,
    Meeting,
    Minutes,
    MinutesItem,
)
from meetings.services import (
    MAX_AGENDA_ITEM_MINUTES,
    MAX_SERIES_OCCURRENCES,
    ORDINALS,
    Pattern,
    series_occurrences,
    series_rule,
)
from members.models import Administration, Member, Membership

Rsvp = Invitation.Rsvp

LANGUAGE_NAMES = {
    "nl": _("Dutch"),
    "fr": _("French"),
    "de": _("German"),
    "en": _("English"),
}
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    """The browser's own date and time picker; the value is read in the reader's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_INPUT)


class LanguageGroups:
    """The language versions of the title and of the description, for templates to group them."""

    @property
    def title_fields(self) -> list:
        return [self[name] for name in translated_names("title")]

    @property
    def description_fields(self) -> list:
        return [self[name] for name in translated_names("description")]


class AdministrationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Administration) -> str:
        return str(obj)

    def _check_values(self, value):
        # A number too large for any database key is no administration; SQLite fails on it.
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue
            if abs(number) >= 2**63:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


def meeting_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    fields.update(language_form_fields("title", _("Title"), max_length=255))
    fields.update(language_form_fields("description", _("Description"), textarea=True))
    fields["kind"] = forms.ChoiceField(label=_("Kind of meeting"), choices=Meeting.Kind.choices)
    fields["starts_at"] = date_window.DateTimeField(label=_("Starts"), widget=DateTimeInput())
    fields["ends_at"] = date_window.DateTimeField(label=_("Ends"), widget=DateTimeInput())
    fields["format"] = forms.ChoiceField(
        label=_("Format"), choices=Meeting.Format.choices, widget=forms.RadioSelect
    )
    fields["location"] = forms.CharField(
        label=_("Address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required on site and for hybrid meetings."),
    )
    fields["online_url"] = forms.URLField(
        label=_("Online meeting link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Required for online and hybrid meetings."),
    )
    fields["rsvp_deadline"] = date_window.DateTimeField(
        label=_("Answer by"), required=False, widget=DateTimeInput()
    )
    fields["invite_whole_group"] = forms.BooleanField(
        label=_("Invite the whole group"), required=False, initial=True
    )
    fields["invited_administrations"] = AdministrationChoiceField(
        label=_("Also invite the members of these administrations"),
        queryset=Administration.objects.filter(is_active=True).order_by("acronym"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    fields["is_public"] = forms.BooleanField(label=_("Show on the group's public page"), required=False)
    fields["remind_unanswered_days"] = forms.IntegerField(
        label=_("Remind those who have not answered (days before)"),
        required=False,
        min_value=0,
        max_value=60,
        initial=7,
    )
    fields["remind_accepted_day_before"] = forms.BooleanField(
        label=_("Remind those who accepted the day before"), required=False, initial=True
    )
    return fields


class MeetingForm(LanguageGroups, forms.Form):
    """Create or edit one meeting. `status` offers draft (until the agenda is circulated) and
    scheduled, and held when editing (services.update_meeting refuses it before the start)."""

    def __init__(self, *args, meeting: Meeting | None = None, **kwargs):
        if meeting is not None and "initial" not in kwargs:
            kwargs["initial"] = meeting_initial(meeting)
        super().__init__(*args, **kwargs)
        self.fields.update(meeting_fields())
        statuses = [Meeting.Status.DRAFT, Meeting.Status.SCHEDULED]
        if meeting is not None:
            statuses.append(Meeting.Status.HELD)
        self.fields["status"] = forms.ChoiceField(
            label=_("Status"),
            choices=[(status.value, status.label) for status in statuses],
            initial=Meeting.Status.SCHEDULED,
            help_text=_("A draft is visible to the group but not yet announced."),
        )
        if meeting is not None and meeting.circulated_at is not None:
            # Draft is no longer offered, but stays a valid value: a form opened before the
            # circulation gets the service's clear error on this field, not "not a valid choice".
            self.fields["status"].widget.choices = [
                (status.value, status.label) for status in statuses if status != Meeting.Status.DRAFT
            ]
            self.fields["status"].help_text = _(
                "The agenda was sent: the meeting can no longer go back to draft."
            )
        if meeting is not None:
            # The initial list of checked administrations comes from the prefetched relation.
            self.fields["invited_administrations"].initial = [
                a.pk for a in meeting.invited_administrations.all()
            ]

    def service_fields(self) -> dict:
        """cleaned_data as services.schedule_meeting / update_meeting take it."""
        data = dict(self.cleaned_data)
        data["location"] = data.get("location") or ""
        data["online_url"] = data.get("online_url") or ""
        return data


def meeting_initial(meeting: Meeting) -> dict:
    fields = [
        *translated_names("title", "description"),
        "kind",
        "status",
        "starts_at",
        "ends_at",
        "format",
        "location",
        "online_url",
        "rsvp_deadline",
        "invite_whole_group",
        "is_public",
        "remind_unanswered_days",
        "remind_accepted_day_before",
    ]
    return {field: getattr(meeting, field) for field in fields}


class SeriesForm(LanguageGroups, forms.Form):
    """A series: the first possible date and the times, a pattern, and how many or until when."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = meeting_fields()
        fields["starts_at"].label = _("From (date and start time)")
        fields["starts_at"].help_text = _(
            "The first meeting is the first date of the pattern from this day on."
        )
        fields["ends_at"].label = _("Until (date and end time of the first meeting)")
        fields["rsvp_deadline"].help_text = _("For the first meeting; the others keep the same notice.")
        self.fields.update(fields)
        self.fields["status"] = forms.ChoiceField(
            label=_("Status"),
            choices=[
                (status.value, status.label) for status in (Meeting.Status.DRAFT, Meeting.Status.SCHEDULED)
            ],
            initial=Meeting.Status.SCHEDULED,
        )
        self.fields["pattern"] = forms.ChoiceField(
            label=_("Repeat"), choices=Pattern.choices, widget=forms.RadioSelect, initial=Pattern.NTH_WEEKDAY
        )
        self.fields["nth"] = forms.TypedChoiceField(
            label=_("Which one in the month"),
            choices=[("", "—"), *((str(n), label) for n, label in ORDINALS.items())],
            coerce=int,
            empty_value=None,
            required=False,
            help_text=_("For “a given weekday of each month”."),
        )
        self.fields["weekday"] = forms.TypedChoiceField(
            label=_("Weekday"),
            choices=[
                ("", _("The weekday of the first date")),
                *((str(n), name) for n, name in WEEKDAYS.items()),
            ],
            coerce=int,
            empty_value=None,
            required=False,
        )
        self.fields["count"] = forms.IntegerField(
            label=_("Number of meetings"), required=False, min_value=1, max_value=MAX_SERIES_OCCURRENCES
        )
        self.fields["until"] = date_window.DateField(
            label=_("Or repeat until"), required=False, widget=DateInput()
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("count") is None and cleaned.get("until") is None and not self.errors.get("count"):
            self.add_error("count", _("Give either a number of meetings or an end date."))
        elif cleaned.get("count") is not None and cleaned.get("until") is not None:
            self.add_error("until", _("Give either a number of meetings or an end date, not both."))
        elif cleaned.get("count") is not None and not self.errors:
            self._check_last_meeting(cleaned)
        return cleaned

    def _check_last_meeting(self, cleaned: dict) -> None:
        """A number of meetings must not carry the series past the dates Concerto accepts."""
        starts_at = cleaned["starts_at"]
        try:
            rule = series_rule(
                pattern=cleaned["pattern"],
                first_day=timezone.localtime(starts_at).date(),
                weekday=cleaned.get("weekday"),
                nth=cleaned.get("nth"),
            )
            occurrences = series_occurrences(
                rule=rule,
                starts_at=starts_at,
                ends_at=cleaned["ends_at"],
                count=cleaned["count"],
                tz=timezone.get_current_timezone_name(),
            )
        except ValidationError:
            return  # Scheduling the series says what is wrong with it.
        try:
            date_window.validate(occurrences[-1][0])
        except ValidationError as error:
            self.add_error(
                "count",
                _("The last meeting would fall outside the accepted dates. %(reason)s")
                % {"reason": " ".join(error.messages)},
            )


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        if obj.administration_id:
            return f"{obj.user.name} ({obj.administration.acronym})"
        return obj.user.name


class AdministrationSingleField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Administration) -> str:
        return str(obj)


class AgendaItemForm(LanguageGroups, forms.Form):
    def __init__(self, *args, meeting: Meeting, item: AgendaItem | None = None, **kwargs):
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = agenda_item_initial(item)
        super().__init__(*args, **kwargs)
        self.fields.update(language_form_fields("title", _("Title"), max_length=255))
        self.fields.update(language_form_fields("description", _("Description"), textarea=True))
        self.fields["kind"] = forms.ChoiceField(label=_("Type"), choices=AgendaItem.Kind.choices)
        self.fields["duration_minutes"] = forms.IntegerField(
            label=_("Planned duration (minutes)"), min_value=1, max_value=MAX_AGENDA_ITEM_MINUTES, initial=15
        )
        in_group = Q(memberships__in=Membership.objects.current().filter(group_id=meeting.group_id))
        invited = Q(meeting_invitations__meeting=meeting, meeting_invitations__removed_at__isnull=True)
        presenters = (
            Member.objects.active()
            .filter(in_group | invited)
            .distinct()
            .select_related("user", "administration")
            .order_by("user__name", "pk")
        )
        self.fields["presenter"] = MemberChoiceField(
            label=_("Presenter (member)"), queryset=presenters, required=False
        )
        self.fields["presenter_administration"] = AdministrationSingleField(
            label=_("Presenting administration"),
            queryset=Administration.objects.filter(is_active=True).order_by("acronym"),
            required=False,
        )

    def clean(self):
        cleaned = super().clean()
        titles = [cleaned.get(name) for name in translated_names("title")]
        if not any(title and title.strip() for title in titles):
            raise forms.ValidationError(_("Give the item a title in at least one language."))
        return cleaned


def agenda_item_initial(item: AgendaItem) -> dict:
    fields = [
        *translated_names("title", "description"),
        "kind",
        "duration_minutes",
        "presenter",
        "presenter_administration",
    ]
    return {field: getattr(item, field) for field in fields}


class MoveItemForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Move up")), ("down", _("Move down"))])


class DocumentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Document) -> str:
        return obj.title


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AgendaItem) -> str:
        return f"{obj.position}. {obj.title}"


class DocumentUploadForm(forms.Form):
    """Upload a new document, or a new version / language edition of an existing one."""

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"] = DocumentChoiceField(
            label=_("New version or language edition of"),
            queryset=Document.objects.filter(meeting=meeting).order_by("title", "pk"),
            required=False,
            empty_label=_("— A new document —"),
        )
        self.fields["title"] = forms.CharField(
            label=_("Title"),
            max_length=255,
            required=False,
            help_text=_("For a new document; the file name is used when left empty."),
        )
        self.fields["agenda_item"] = ItemChoiceField(
            label=_("Agenda item"),
            queryset=AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"),
            required=False,
            empty_label=_("— The whole meeting —"),
        )
        self.fields["language"] = forms.ChoiceField(
            label=_("Language of the file"),
            choices=[("", _("All languages (one edition)")), *LANGUAGE_NAMES.items()],
            required=False,
        )
        self.fields["upload"] = forms.FileField(
            label=_("File"),
            widget=forms.ClearableFileInput(attrs={"accept": documents.ACCEPT_ATTRIBUTE}),
            help_text=_("%(types)s; at most %(limit)d MB.")
            % {"types": documents.allowed_types_text(), "limit": documents.max_bytes() // (1024 * 1024)},
        )


class InviteesForm(forms.Form):
    invite_whole_group = forms.BooleanField(label=_("Invite the whole group"), required=False)

    def __init__(self, *args, meeting: Meeting, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "invite_whole_group": meeting.invite_whole_group,
                "invited_administrations": [a.pk for a in meeting.invited_administrations.all()],
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["invited_administrations"] = AdministrationChoiceField(
            label=_("Also invite the members of these administrations"),
            queryset=Administration.objects.filter(is_active=True).order_by("acronym"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )


class GuestForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language of the invitation"), choices=list(LANGUAGE_NAMES.items()), initial="en"
    )


class CancelForm(forms.Form):
    """The message to the invitees in each language: each invitee reads theirs, or a fallback."""

    MAX_NOTE = 2000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        notes = language_form_fields("cancellation_note", _("Message to the invitees"), textarea=True)
        for name, field in notes.items():
            self.fields[name] = forms.CharField(
                label=field.label, required=False, max_length=self.MAX_NOTE, widget=field.widget
            )

    @property
    def note_names(self) -> list[str]:
        return translated_names("cancellation_note")

    @property
    def note_fields(self) -> list:
        return [self[name] for name in self.note_names]

    def notes(self) -> dict[str, str]:
        """cleaned_data as circulation.cancel_meeting takes it."""
        return {name: self.cleaned_data.get(name, "") for name in self.note_names}


class RepresentativeField(forms.CharField):
    """A member chosen from the invitee's colleagues (the sheet lists them, see SheetRow.colleagues).
    Any member's number passes here: the service refuses someone of another administration with
    a message that names them."""

    default_error_messages = {"invalid": gettext_lazy("Choose a colleague from the list.")}

    def clean(self, value):
        value = super().clean(value)
        # ASCII digits only ("²" is a digit to isdigit() but not to int()), and no number too
        # large for a database key.
        if value and not (value.isascii() and value.isdigit() and int(value) < 2**63):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class AttendanceForm(forms.Form):
    """One radio group (present, absent, excused) per invitee and, for those who do not stand in
    for someone, who represented them: a colleague of their administration (or their substitute),
    or a guest by name. Fields are named status-<invitation pk>, represented_by-<pk> and
    represented_by_name-<pk>."""

    def __init__(self, *args, sheet: list[attendance_service.SheetRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.sheet = sheet
        self.nobody = gettext("Nobody")
        for row in sheet:
            pk, name = row.invitation.pk, row.invitation.display_name
            self.fields[f"status-{pk}"] = forms.ChoiceField(
                label=gettext("Attendance of %(name)s") % {"name": name},
                choices=Attendance.Status.choices,
                widget=forms.RadioSelect,
                initial=row.status,
            )
            if not row.representable:
                continue
            self.fields[f"represented_by-{pk}"] = RepresentativeField(
                label=gettext("%(name)s represented by a colleague") % {"name": name},
                required=False,
                initial=str(row.represented_by.pk) if row.represented_by else "",
            )
            self.fields[f"represented_by_name-{pk}"] = forms.CharField(
                label=gettext("%(name)s represented by a guest (name)") % {"name": name},
                max_length=attendance_service.NAME_MAX_LENGTH,
                required=False,
                initial=row.represented_by_name,
            )

    def clean(self):
        cleaned = super().clean()
        # A field for someone not on this sheet (another meeting's invitation, a removed
        # invitee, a forged name) refuses the whole form rather than being ignored.
        for key in self.data:
            if (
                key.startswith(("status-", "represented_by-", "represented_by_name-"))
                and key not in self.fields
            ):
                raise ValidationError(
                    gettext("Someone in the list is not invited to this meeting. Nothing was saved."),
                    code="unknown_invitee",
                )
        return cleaned

    def rows(self) -> list[tuple[int, str, int | None, str]]:
        rows = []
        for row in self.sheet:
            pk = row.invitation.pk
            representative = self.cleaned_data.get(f"represented_by-{pk}") or None
            rows.append(
                (
                    pk,
                    self.cleaned_data[f"status-{pk}"],
                    int(representative) if representative else None,
                    self.cleaned_data.get(f"represented_by_name-{pk}", ""),
                )
            )
        return rows

    def _shared_options(self, colleagues: tuple[attendance_service.Colleague, ...]) -> tuple[str, dict]:
        """The <option>s of one administration's colleagues as one string, and where each one's
        option lies in it ({pk as str: (start, end)}). Built once per administration."""
        key = id(colleagues)
        if key not in self._shared:
            parts, spans, at = [], {}, 0
            for colleague in colleagues:
                option = f'<option value="{colleague.pk}">{escape(colleague.name)}</option>'
                spans[str(colleague.pk)] = (at, at + len(option))
                at += len(option)
                parts.append(option)
            # The tuple is kept with its options so that its id() is not reused meanwhile.
            self._shared[key] = (colleagues, "".join(parts), spans)
        return self._shared[key][1:]

    def _colleague_select(self, bound: forms.BoundField, row: attendance_service.SheetRow) -> str:
        """The colleague <select> of one row, as the widget would write it for the choices
        row.colleagues (the substitute first, then the colleagues, not the invitee).

        A sheet of 300 invitees holds tens of thousands of options: each row reuses its
        administration's options written once, cutting out the invitee and their substitute and
        marking the chosen one, rather than writing (and escaping) its options again."""
        value = "" if bound.value() is None else str(bound.value())
        options = [f'<option value=""{"" if value else " selected"}>{escape(self.nobody)}</option>']
        substitute = row.substitute
        if substitute is not None:
            key = str(substitute.pk)
            selected = " selected" if key == value else ""
            options.append(f'<option value="{key}"{selected}>{escape(substitute.user.name)}</option>')
        if row.administration_colleagues:
            text, spans = self._shared_options(row.administration_colleagues)
            left_out = {str(row.invitation.member_id), str(substitute.pk) if substitute is not None else ""}
            cuts = [(*spans[key], "") for key in left_out if key in spans]
            if value in spans and value not in left_out:
                start, end = spans[value]
                cuts.append((start, end, text[start:end].replace('">', '" selected>', 1)))
            at = 0
            for start, end, replacement in sorted(cuts):
                options.append(text[at:start])
                options.append(replacement)
                at = end
            options.append(text[at:])
        invalid = (
            f' aria-invalid="true" aria-describedby="{escape(bound.auto_id)}_error"' if bound.errors else ""
        )
        return mark_safe(  # every value is escaped
            f'<select name="{escape(bound.html_name)}" id="{escape(bound.auto_id)}"{invalid}>'
            f"{''.join(options)}</select>"
        )

    def lines(self) -> list[dict]:
        """What the template iterates: each sheet row with its bound fields."""
        self._shared: dict[int, tuple] = {}
        # The radios are written by the template from these plain values (one translation each),
        # not by the widget's templates, which take most of the page's time at 300 invitees.
        statuses = [(value, str(label)) for value, label in Attendance.Status.choices]
        lines = []
        for row in self.sheet:
            pk = row.invitation.pk
            status = self[f"status-{pk}"]
            chosen = "" if status.value() is None else str(status.value())
            line = {
                "row": row,
                "status": status,
                "radios": [
                    {
                        "id": f"{status.auto_id}_{index}",
                        "value": value,
                        "label": label,
                        "checked": value == chosen,
                    }
                    for index, (value, label) in enumerate(statuses)
                ],
                "represented_by": None,
                "represented_by_name": None,
            }
            if row.representable:
                line["represented_by"] = bound = self[f"represented_by-{pk}"]
                line["represented_by_name"] = self[f"represented_by_name-{pk}"]
                line["colleague_select"] = self._colleague_select(bound, row) if row.offers_colleagues else ""
            lines.append(line)
        return lines


class StatisticsForm(forms.Form):
    start = date_window.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=DateInput(),
    )
    end = date_window.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=DateInput(),
    )
    group = forms.ChoiceField(label=gettext_lazy("Group"), required=False)

    def __init__(self, *args, groups, period: tuple[date, date], **kwargs):
        super().__init__(*args, initial={"start": period[0], "end": period[1]}, **kwargs)
        self.groups = {group.slug: group for group in groups}
        self.period = period
        self.fields["group"].choices = [("", gettext("All the groups I manage"))] + [
            (group.slug, group.name) for group in groups
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start = cleaned.get("start") or self.period[0]
        end = cleaned.get("end") or self.period[1]
        if start > end:
            self.add_error("end", gettext("The end of the period must not be before its start."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def chosen_groups(self) -> list:
        slug = self.cleaned_data.get("group")
        return [self.groups[slug]] if slug else list(self.groups.values())


ANSWER_CHOICES = [
    (Rsvp.ACCEPTED, gettext_lazy("I will attend")),
    (Rsvp.TENTATIVE, gettext_lazy("I may attend (tentative)")),
    (Rsvp.DECLINED, gettext_lazy("I will not attend")),
    (Rsvp.DELEGATED, gettext_lazy("I am sending a substitute")),
]


# Fields of the form that a service's ValidationError may name; others go on top of the form.
ANSWER_FORM_FIELDS = {"answer", "comment", "attendance_mode", "substitute", "substitute_email", "substitute_name"}


# The form lives here rather than in meetings/forms.py: only these pages use it.
class AnswerForm(forms.Form):
    """An answer: the choice, how one joins a hybrid meeting, a comment, and who stands in."""

    answer = forms.ChoiceField(
        label=gettext_lazy("Your answer"), choices=ANSWER_CHOICES, widget=forms.RadioSelect
    )
    attendance_mode = forms.ChoiceField(
        label=gettext_lazy("How will you join? (if you attend)"),
        choices=AttendanceMode.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=rsvp.MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For the organiser: for example, when you will arrive."),
    )
    substitute = forms.TypedChoiceField(
        label=gettext_lazy("A colleague of the same administration"),
        required=False,
        coerce=int,
        empty_value=None,
    )
    substitute_email = forms.EmailField(
        label=gettext_lazy("Or the email address of a colleague who is not on the platform yet"),
        required=False,
        max_length=254,
    )
    substitute_name = forms.CharField(
        label=gettext_lazy("Their name (for a colleague not on the platform yet)"),
        required=False,
        max_length=150,
    )

    def __init__(
        self,
        *args,
        meeting: Meeting,
        colleagues: list[Member],
        answer_label: str = "",
        may_delegate: bool = True,
        signed_in: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.may_delegate = may_delegate
        if answer_label:
            self.fields["answer"].label = answer_label
        if meeting.format != Meeting.Format.HYBRID:
            del self.fields["attendance_mode"]
        self.colleagues = {member.pk: member for member in colleagues}
        if not may_delegate:
            # "Sending a substitute" stays a valid value (a stale form or link gets the clear
            # error of clean()), but it is not offered, nor are the substitute's fields.
            self.fields["answer"].widget.choices = [c for c in ANSWER_CHOICES if c[0] != Rsvp.DELEGATED]
            for name in ("substitute", "substitute_email", "substitute_name"):
                del self.fields[name]
            return
        if colleagues:
            self.fields["substitute"].choices = [
                ("", gettext("Choose a colleague")),
                *self._colleague_choices(colleagues),
            ]
        else:
            del self.fields["substitute"]
        if not signed_in:
            self.fields["substitute_email"].label = gettext("The email address of the person who will attend")
            self.fields["substitute_email"].help_text = gettext(
                "For a colleague on the platform, the address of their account."
            )
            self.fields["substitute_name"].label = gettext("Their name (if they are not on the platform yet)")

    @staticmethod
    def _colleague_choices(colleagues: list[Member]) -> list[tuple[int, str]]:
        return [
            (member.pk, f"{member.user.name} – {member.job_title}" if member.job_title else member.user.name)
            for member in colleagues
        ]

    def clean(self):
        data = super().clean()
        if data.get("answer") != Rsvp.DELEGATED:
            data["substitute"], data["substitute_email"], data["substitute_name"] = None, "", ""
            return data
        if not self.may_delegate:
            self.add_error("answer", SUBSTITUTE_REFUSED)
            return data
        if (
            not data.get("substitute")
            and not data.get("substitute_email")
            and "substitute_email" not in self.errors
        ):
            field = "substitute" if "substitute" in self.fields else "substitute_email"
            self.add_error(field, gettext("Say who will attend in your place."))
        elif data.get("substitute") and data.get("substitute_email"):
            self.add_error("substitute_email", gettext("Choose a colleague or give an email address, not both."))
        return data

    def substitute_member(self) -> Member | None:
        return self.colleagues.get(self.cleaned_data.get("substitute"))


# --- Minutes -------------------------------------------------------------------------------------
# Forms validate input only; meetings.minutes holds the rules (editable, deadlines, who may act).


def _language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGE_CODES]


def _texts_of(cleaned: dict, field: str) -> dict[str, str]:
    return {name.rsplit("_", 1)[1]: cleaned.get(name) or "" for name in translated_names(field)}


class StartMinutesForm(forms.Form):
    language = forms.ChoiceField(label=_("Written in"), choices=_language_choices)


class MinutesSettingsForm(forms.Form):
    """The language the minutes are written in, and who chaired (a current member of the group)."""

    language = forms.ChoiceField(label=_("Written in"), choices=_language_choices)

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        members = (
            Member.objects.filter(memberships__in=Membership.objects.current().filter(group_id=meeting.group_id))
            .distinct()
            .select_related("user", "administration")
            .order_by("user__name", "pk")
        )
        self.fields["chair"] = MemberChoiceField(label=_("Chaired by"), queryset=members, required=False)


class MinutesItemForm(forms.Form):
    """An item's title and summary of the discussion, in each language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(language_form_fields("title", _("Title"), max_length=255))
        self.fields.update(language_form_fields("summary", _("Summary of the discussion"), textarea=True))

    @property
    def title_fields(self) -> list:
        return [self[name] for name in translated_names("title")]

    @property
    def summary_fields(self) -> list:
        return [self[name] for name in translated_names("summary")]

    def clean(self):
        cleaned = super().clean()
        if not any((cleaned.get(name) or "").strip() for name in translated_names("title")):
            raise forms.ValidationError(gettext("Give the item a title in at least one language."))
        return cleaned

    def titles(self) -> dict[str, str]:
        return _texts_of(self.cleaned_data, "title")

    def summaries(self) -> dict[str, str]:
        return _texts_of(self.cleaned_data, "summary")


class _TextRowForm(forms.Form):
    """One decision or action in a formset: its id (empty for a new one) and text per language."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in language_form_fields("text", self.text_label, textarea=True).items():
            field.widget.attrs["rows"] = 2
            self.fields[name] = field

    @property
    def text_fields(self) -> list:
        return [self[name] for name in translated_names("text")]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("DELETE") and not any(
            (cleaned.get(name) or "").strip() for name in translated_names("text")
        ):
            raise forms.ValidationError(gettext("Write the text in at least one language, or remove the row."))
        return cleaned

    def texts(self) -> dict[str, str]:
        return _texts_of(self.cleaned_data, "text")


class DecisionForm(_TextRowForm):
    text_label = _("Decision")


class ActionItemForm(_TextRowForm):
    text_label = _("Action")

    def __init__(self, *args, administrations: list, members: list, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain choices built once for the whole formset: a ModelChoiceField would query per row.
        self.administrations = {str(a.pk): a for a in administrations}
        self.members = {str(m.pk): m for m in members}
        self.fields["owner_administration"] = forms.ChoiceField(
            label=_("Owner administration"),
            choices=[("", "---------"), *((str(a.pk), str(a)) for a in administrations)],
        )
        self.fields["owner"] = forms.ChoiceField(
            label=_("Owner (member)"),
            required=False,
            choices=[("", "---------"), *((str(m.pk), m.user.name) for m in members)],
        )
        self.fields["due_date"] = forms.DateField(label=_("Due date"), required=False, widget=DateInput)
        self.fields["status"] = forms.ChoiceField(
            label=_("Status"), choices=ActionItem.Status.choices, initial=ActionItem.Status.OPEN
        )

    def clean_due_date(self):
        value = self.cleaned_data.get("due_date")
        if value is not None and not date(2000, 1, 1) <= value <= date(2100, 12, 31):
            raise forms.ValidationError(gettext("Enter a due date between 2000 and 2100."))
        return value

    def action(self, pk_allowed: set[int]):
        data = self.cleaned_data
        pk = data.get("id")
        return minutes_service.ActionText(
            text=self.texts(),
            owner_administration=self.administrations.get(data.get("owner_administration") or ""),
            owner=self.members.get(data.get("owner") or ""),
            due_date=data.get("due_date"),
            status=data.get("status") or ActionItem.Status.OPEN,
            pk=pk if pk in pk_allowed else None,
        )


DecisionFormSet = forms.formset_factory(
    DecisionForm, extra=1, can_delete=True, max_num=100, validate_max=True, absolute_max=100
)
ActionItemFormSet = forms.formset_factory(
    ActionItemForm, extra=1, can_delete=True, max_num=100, validate_max=True, absolute_max=100
)


def _kept(formset) -> list:
    return [form for form in formset.forms if form.has_changed() and not form.cleaned_data.get("DELETE")]


def decisions_from(formset, pk_allowed: set[int]) -> list:
    return [
        minutes_service.DecisionText(
            text=form.texts(), pk=form.cleaned_data.get("id") if form.cleaned_data.get("id") in pk_allowed else None
        )
        for form in _kept(formset)
    ]


def actions_from(formset, pk_allowed: set[int]) -> list:
    return [form.action(pk_allowed) for form in _kept(formset)]


def minutes_item_initial(item: MinutesItem) -> dict:
    return {name: getattr(item, name) for name in translated_names("title", "summary")}


def decision_initial(item: MinutesItem) -> list[dict]:
    return [
        {"id": d.pk, **{name: getattr(d, name) for name in translated_names("text")}} for d in item.decisions.all()
    ]


def action_initial(item: MinutesItem) -> list[dict]:
    return [
        {
            "id": a.pk,
            **{name: getattr(a, name) for name in translated_names("text")},
            "owner_administration": str(a.owner_administration_id),
            "owner": str(a.owner_id or ""),
            "due_date": a.due_date,
            "status": a.status,
        }
        for a in item.actions.all()
    ]


class SendForCommentsForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Send for comments to"),
        choices=Minutes.Audience.choices,
        initial=Minutes.Audience.ATTENDEES,
        widget=forms.RadioSelect,
    )
    deadline = forms.DateTimeField(label=_("Comments by"), widget=DateTimeInput, input_formats=[DATETIME_INPUT])
    # Offered once the minutes are out for comments: a new deadline may go without a new email.
    notify = forms.BooleanField(label=_("Email them again with the new deadline"), required=False, initial=True)

    def clean_deadline(self):
        value = self.cleaned_data["deadline"]
        if value <= timezone.now():
            raise forms.ValidationError(gettext("The deadline for comments must be in the future."))
        if value.year > timezone.now().year + 2:
            raise forms.ValidationError(gettext("Choose a deadline within the next two years."))
        return value


class MinutesCommentForm(forms.Form):
    item = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    text = forms.CharField(
        label=_("Your comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SettleCommentForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("dismiss", _("Dismiss"))],
        widget=forms.RadioSelect,
    )
    reply = forms.CharField(label=_("Reply"), max_length=500)


class ApproveMinutesForm(forms.Form):
    """Approve now in the chair's name, or record the approval at a later meeting."""

    def __init__(self, *args, meetings: list[Meeting], may_approve: bool, **kwargs):
        super().__init__(*args, **kwargs)
        ways = []
        if may_approve:
            ways.append(("chair", gettext("Approved by the chair")))
        if meetings:
            ways.append(("meeting", gettext("Approved at a later meeting")))
        self.meetings = {str(m.pk): m for m in meetings}
        self.fields["how"] = forms.ChoiceField(label=_("Approval"), choices=ways, widget=forms.RadioSelect)
        self.fields["meeting"] = forms.ChoiceField(
            label=_("Meeting"),
            required=False,
            choices=[("", "---------"), *((str(m.pk), f"{m.title} ({m.starts_at:%Y-%m-%d})") for m in meetings)],
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("how") == "meeting" and not cleaned.get("meeting"):
            self.add_error("meeting", gettext("Choose the meeting at which the minutes were approved."))
        return cleaned

    def chosen_meeting(self) -> Meeting | None:
        return self.meetings.get(self.cleaned_data.get("meeting") or "")
