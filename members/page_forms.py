"""Forms for the profile and group pages. They validate input; services do the writing."""

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from members.models import Administration, Group, GroupLink, Member, Membership
from members.outbox import OPTIONAL_KINDS, Kind

COMMON_TIMEZONES = sorted(
    zone
    for zone in zoneinfo.available_timezones()
    if zone.startswith(("Europe/", "America/", "Africa/", "Asia/", "Australia/")) or zone == "UTC"
)


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    form_of_address = forms.ChoiceField(
        label=_("Form of address"),
        choices=Member.FormOfAddress.choices,
        required=False,
        help_text=_("French and German name your role differently for a woman and for a man."),
    )
    administration = forms.ModelChoiceField(
        label=_("Administration"), queryset=Administration.objects.filter(is_active=True), required=False
    )
    phone = forms.RegexField(
        label=_("Phone"),
        max_length=40,
        required=False,
        regex=r"^\+?[0-9 ()./-]{6,}$",
        error_messages={"invalid": _("Enter a phone number with digits, spaces and an optional leading +.")},
    )
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(zone, zone) for zone in COMMON_TIMEZONES],
        help_text=_("Meeting times are shown to you in this time zone."),
    )
    wanted_kinds = forms.MultipleChoiceField(
        label=_("Emails I want to receive"),
        choices=[(kind.value, kind.label) for kind in OPTIONAL_KINDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Invitations, minutes and account emails are always sent. Untick what you do not want beyond those."
        ),
    )

    @classmethod
    def for_member(cls, member: Member, data=None) -> "ProfileForm":
        initial = {
            "name": member.user.name,
            "job_title": member.job_title,
            "form_of_address": member.form_of_address,
            "administration": member.administration_id,
            "phone": member.phone,
            "language": member.user.language,
            "timezone": member.timezone,
            "wanted_kinds": [
                kind.value for kind in OPTIONAL_KINDS if kind.value not in (member.muted_kinds or [])
            ],
        }
        return cls(data=data, initial=initial)

    def muted_kinds(self) -> list[str]:
        wanted = set(self.cleaned_data["wanted_kinds"])
        return [kind.value for kind in OPTIONAL_KINDS if kind.value not in wanted]


class PublicPageForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = [
            "is_public",
            "name_nl",
            "name_fr",
            "name_de",
            "name_en",
            "mandate_nl",
            "mandate_fr",
            "mandate_de",
            "mandate_en",
            "lines_of_action_nl",
            "lines_of_action_fr",
            "lines_of_action_de",
            "lines_of_action_en",
            "contact_email",
            "show_next_meetings",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 5})
            for name in fields
            if name.startswith(("mandate", "lines"))
        }

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"name_{code}") for code, _name in settings.LANGUAGES):
            raise forms.ValidationError(_("Give the group a name in at least one language."))
        if cleaned.get("is_public") and not any(
            cleaned.get(f"mandate_{code}") for code, _name in settings.LANGUAGES
        ):
            raise forms.ValidationError(
                _("Describe the mandate in at least one language before publishing the page.")
            )
        return cleaned


class GroupLinkForm(forms.ModelForm):
    document = forms.FileField(
        label=_("or a document"),
        required=False,
        help_text=_("PDF, office document, CSV or text file. It is published on the public page."),
    )

    class Meta:
        model = GroupLink
        fields = ["title_nl", "title_fr", "title_de", "title_en", "url"]
        labels = {"url": _("Address of the link")}

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"title_{code}") for code, _name in settings.LANGUAGES):
            raise forms.ValidationError(_("Give the link a title in at least one language."))
        if bool(cleaned.get("url")) == bool(cleaned.get("document")):
            raise forms.ValidationError(_("Give either an address or a document, not both."))
        return cleaned


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("New role"), choices=Membership.Role.choices)
    substitute_for = forms.ModelChoiceField(
        label=_("Stands in for"), queryset=Member.objects.none(), required=False
    )

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        current = Membership.objects.current().filter(group=group).values("member")
        self.fields["substitute_for"].queryset = Member.objects.filter(pk__in=current).select_related("user")


__all__ = ["ChangeRoleForm", "GroupLinkForm", "Kind", "ProfileForm", "PublicPageForm"]
