"""Forms of the plan and commitment pages. They only validate input; the rules live in
coordination.services (which the views call, putting its errors back on the form)."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from coordination.models import Chapter, Commitment, CommitmentPart, Completion, PlanEdition, Status
from core import date_window, documents
from core.forms import DateInput
from core.spreadsheets import IMPORT_MAX_ROWS
from core.translated import language_form_fields
from members.models import Administration, Group, Member

MAX_LINKS = 5


class TextsForm(forms.Form):
    """A form with texts in several languages: `texts()` gives them to a service, and
    `title_fields`, `name_fields`, `description_fields` and `other_fields` group them for the template."""

    text_prefixes: tuple[str, ...] = ()

    def texts(self) -> dict[str, str]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if any(name.startswith(f"{prefix}_") for prefix in self.text_prefixes)
        }

    @property
    def title_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith("title_")]

    @property
    def description_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith("description_")]

    @property
    def name_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith("name_")]

    @property
    def other_fields(self) -> list:
        return [
            self[name]
            for name in self.fields
            if not any(name.startswith(f"{prefix}_") for prefix in self.text_prefixes)
        ]


def _too_large(value) -> bool:
    """A number no database key can hold (SQLite fails on it instead of finding nothing)."""
    try:
        return abs(int(value)) >= 2**63
    except (TypeError, ValueError):
        return False


class ChoiceField(forms.ModelChoiceField):
    """A row to choose; a number too large for any key is an invalid choice, not a server error."""

    def to_python(self, value):
        if value not in self.empty_values and _too_large(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class MultipleChoiceField(forms.ModelMultipleChoiceField):
    """Rows to choose; a number too large for any key is an invalid choice, not a server error."""

    def _check_values(self, value):
        for pk in value:
            if _too_large(pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


class AdministrationChoiceField(ChoiceField):
    def label_from_instance(self, obj: Administration) -> str:
        return str(obj)


class AdministrationsField(MultipleChoiceField):
    def label_from_instance(self, obj: Administration) -> str:
        return str(obj)


class MemberChoiceField(MultipleChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        admin = obj.administration.acronym if obj.administration else ""
        return f"{obj.user.name} ({admin})" if admin else obj.user.name


def _active_administrations():
    return Administration.objects.filter(is_active=True).order_by("acronym")


class PlanForm(TextsForm):
    text_prefixes = ("title", "description")

    def __init__(self, *args, groups=None, plan=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(language_form_fields("title", _("title"), max_length=255))
        self.fields.update(language_form_fields("description", _("description"), textarea=True))
        if plan is None:
            self.fields["slug"] = forms.SlugField(
                label=_("Short name in addresses"),
                max_length=60,
                required=False,
                help_text=_("Letters, digits and hyphens; made from the title when left empty."),
            )
        self.fields["owner_group"] = ChoiceField(
            label=_("Owner group"),
            queryset=groups if groups is not None else Group.objects.none(),
            help_text=_("Its members follow the plan; its chair and secretariat manage it."),
        )
        self.fields["is_public"] = forms.BooleanField(
            label=_("Show the plan's progress on a public page"), required=False
        )


class EditionForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100, help_text=_("For example 2025–2028."))
    starts_on = date_window.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = date_window.DateField(label=_("Ends on"), required=False, widget=DateInput())
    carry_over = forms.BooleanField(
        label=_("Carry the open commitments of the previous edition over"), required=False, initial=True
    )


class ChapterForm(TextsForm):
    text_prefixes = ("title",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"] = forms.CharField(
            label=pgettext_lazy("the number of a chapter", "Number"), max_length=20, required=False
        )
        self.fields.update(language_form_fields("title", _("title"), max_length=255))


class CommitmentForm(TextsForm):
    text_prefixes = ("title", "description")

    def __init__(self, *args, edition: PlanEdition | None = None, creating: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reference"] = forms.CharField(
            label=_("Reference"), max_length=30, required=False, help_text=_("For example 2.4.")
        )
        self.fields.update(language_form_fields("title", _("title"), max_length=500))
        self.fields.update(language_form_fields("description", _("description"), textarea=True))
        if edition is not None:
            self.fields["chapter"] = ChoiceField(
                label=_("Chapter"),
                queryset=Chapter.objects.filter(edition=edition),
                required=False,
                empty_label=_("— No chapter —"),
            )
        self.fields["source"] = forms.ChoiceField(label=_("Source"), choices=Commitment.Source.choices)
        self.fields["source_reference"] = forms.CharField(
            label=_("Source reference"),
            max_length=255,
            required=False,
            help_text=_("Where it was decided or written: a page, an article, a meeting and its date."),
        )
        self.fields["lead_administration"] = AdministrationChoiceField(
            label=_("Lead administration"), queryset=_active_administrations()
        )
        if creating:
            self.fields["administrations"] = AdministrationsField(
                label=_("Other owner administrations"),
                queryset=_active_administrations(),
                required=False,
                help_text=_("Each reports its own part; the lead administration always has one."),
            )
        self.fields["start_date"] = date_window.DateField(
            label=_("Start date"), required=False, widget=DateInput()
        )
        self.fields["due_date"] = date_window.DateField(
            label=_("Due date"), required=False, widget=DateInput()
        )
        self.fields["is_public"] = forms.BooleanField(
            label=_("Show on the public page when the plan is public"), required=False, initial=True
        )

    def clean(self) -> dict:
        data = super().clean()
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", _("The due date cannot be before the start date."))
        return data


class PartForm(forms.Form):
    def __init__(self, *args, commitment: Commitment, part: CommitmentPart | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if part is None:
            taken = commitment.parts.values("administration")
            self.fields["administration"] = AdministrationChoiceField(
                label=_("Administration"), queryset=_active_administrations().exclude(pk__in=taken)
            )
            people = Member.objects.active()
        else:
            admin = part.administration
            people = Member.objects.active().filter(Q(administration=admin) | Q(administration__parent=admin))
        self.fields["weight"] = forms.IntegerField(
            label=_("Weight"),
            min_value=1,
            max_value=1000,
            initial=1,
            help_text=_("How much this part counts in the commitment's progress."),
        )
        self.fields["focal_points"] = MemberChoiceField(
            label=_("Focal points"),
            queryset=people.select_related("user", "administration").order_by("user__name"),
            required=False,
            help_text=_("Members of the administration who report on this part."),
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": documents.ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ProgressUpdateForm(forms.Form):
    """A focal point's report on a part: what happened, the new values, and evidence."""

    text = forms.CharField(
        label=_("What happened since the last update"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    completion = forms.ChoiceField(
        label=_("Completion level"),
        choices=Completion.choices,
        help_text=_("The Open Government Partnership's scale."),
    )
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    no_change = forms.BooleanField(label=_("Nothing changed since the last update"), required=False)
    links = forms.CharField(
        label=_("Links to evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    files = MultipleFileField(label=_("Documents as evidence"), required=False)

    def __init__(self, *args, part: CommitmentPart, **kwargs) -> None:
        kwargs.setdefault(
            "initial", {"status": part.status, "completion": part.completion, "progress": part.progress}
        )
        super().__init__(*args, **kwargs)
        # Formatted here, in the reader's language: a lazy text formatted at import would stay English.
        self.fields["links"].help_text = gettext(
            "One web address per line, starting with https://; at most %(n)d."
        ) % {"n": MAX_LINKS}
        self.part = part
        self.fields["files"].help_text = _("%(types)s; at most %(limit)d MB each.") % {
            "types": documents.allowed_types_text(),
            "limit": documents.max_bytes() // (1024 * 1024),
        }

    def clean_links(self) -> list[str]:
        lines = [line.strip() for line in (self.cleaned_data.get("links") or "").splitlines() if line.strip()]
        if len(lines) > MAX_LINKS:
            raise ValidationError(_("Give at most %(n)d links.") % {"n": MAX_LINKS})
        validator = forms.URLField(assume_scheme="https", max_length=500)
        cleaned = []
        for line in lines:
            try:
                cleaned.append(validator.clean(line))
            except ValidationError as error:
                raise ValidationError(_("%(line)s is not a web address.") % {"line": line[:100]}) from error
        return cleaned

    def clean_files(self) -> list:
        files = self.cleaned_data.get("files") or []
        for upload in files:
            documents.validate_upload(upload)  # the same check as every upload: content, name, size
        return files

    def clean(self) -> dict:
        data = super().clean()
        if data.get("no_change") and all(key in data for key in ("status", "completion", "progress")):
            part = self.part
            if (data["status"], data["completion"], data["progress"]) != (
                part.status,
                part.completion,
                part.progress,
            ):
                raise ValidationError(
                    _("You reported no change: keep the status, completion and progress as they are.")
                )
        if data.get("status") == Status.DONE and data.get("progress") not in (None, 100):
            self.add_error("progress", _("A part marked done is at 100 %."))
        return data


class MilestoneForm(TextsForm):
    text_prefixes = ("title",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(language_form_fields("title", _("title"), max_length=255))
        self.fields["due_date"] = date_window.DateField(
            label=_("Due date"), required=False, widget=DateInput()
        )
        self.fields["done_on"] = date_window.DateField(label=_("Done on"), required=False, widget=DateInput())


class IndicatorForm(TextsForm):
    text_prefixes = ("name",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(language_form_fields("name", _("name"), max_length=255))
        self.fields["unit"] = forms.CharField(label=_("Unit"), max_length=50, required=False)
        for name, label in (
            ("baseline", _("Baseline")),
            ("target", _("Target")),
            ("current_value", _("Current value")),
        ):
            self.fields[name] = forms.DecimalField(
                label=label, required=False, max_digits=18, decimal_places=4
            )
        self.fields["measured_on"] = date_window.DateField(
            label=_("Measured on"), required=False, widget=DateInput()
        )


class PlanImportForm(forms.Form):
    """A spreadsheet of commitments to load into one of the plan's editions (coordination.imports)."""

    edition = forms.ModelChoiceField(
        label=_("Edition"), queryset=PlanEdition.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, editions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["edition"].queryset = editions
        # Formatted here, not at import time, so that it comes out in the reader's language.
        self.fields["file"].help_text = gettext("At most %(size)s and %(rows)d rows.") % {
            "size": filesizeformat(settings.IMPORT_MAX_BYTES),
            "rows": IMPORT_MAX_ROWS,
        }
