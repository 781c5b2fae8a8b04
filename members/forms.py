"""Forms of the members app: the profile, a group's public page, its links and roles; invitations to
join (invite one person, import a spreadsheet, sign up from a link).

They validate input; members.services and members.invitations do the writing.
"""

import zoneinfo

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.account.forms import SignupForm
from allauth.core import context as allauth_context
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.spreadsheets import IMPORT_MAX_ROWS
from core.translated import translated_names
from members import invitations
from members.adapters import required_provider, required_provider_message
from members.join_links import SESSION_KEY, pending_invitation_in_session, session_invitation_problem
from members.models import Administration, Group, GroupLink, Member, Membership
from members.outbox import OPTIONAL_KINDS


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=150)
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=settings.LANGUAGES,
        help_text=_("If the person already has an account, the email is written in the language they chose."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(role.value, role.label) for role in invitations.INVITABLE_ROLES],
        initial=Membership.Role.MEMBER,
    )
    administration = forms.ModelChoiceField(
        # Not the admin site: a context keeps the two apart in the catalogues.
        label=pgettext_lazy("organisation a member belongs to", "Administration"),
        queryset=Administration.objects.filter(is_active=True),
        required=False,
        empty_label=_("(none)"),
    )

    def __init__(self, *args, roles: list[str] | None = None, **kwargs) -> None:
        """`roles`: those the inviter may give (members.access.grantable_roles); the others are not offered."""
        super().__init__(*args, **kwargs)
        if roles is not None:
            self.fields["role"].choices = [
                (role.value, role.label) for role in invitations.INVITABLE_ROLES if role in roles
            ]
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["language"].initial = (get_language() or settings.LANGUAGE_CODE).split("-")[0]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Formatted here, not at import time, so that it comes out in the reader's language.
        self.fields["file"].help_text = gettext("At most %(size)s and %(rows)d rows.") % {
            "size": filesizeformat(settings.IMPORT_MAX_BYTES),
            "rows": IMPORT_MAX_ROWS,
        }


# --- Signing in ---------------------------------------------------------------------------------


class RequiredProviderMixin:
    """Refuses an address whose domain must sign in with its organisation's account
    (OIDC_REQUIRED_DOMAINS); the page then shows that provider's button (`required_provider`)."""

    required_provider: dict | None = None

    def refuse_required_domain(self, email: str) -> None:
        app = required_provider(email)
        if app is not None:
            self.required_provider = app
            raise ValidationError(required_provider_message(app), code="organisation_account_required")


class LoginForm(RequiredProviderMixin, AllauthLoginForm):
    def clean_login(self) -> str:
        login = super().clean_login()
        self.refuse_required_domain(login)
        return login


class RequestLoginCodeForm(RequiredProviderMixin, AllauthRequestLoginCodeForm):
    def clean_email(self) -> str:
        self.refuse_required_domain(self.cleaned_data.get("email") or "")
        return super().clean_email()


class InvitationSignupForm(SignupForm):
    """allauth's sign-up, opened by an invitation link: the address is the invitation's.

    Saving creates the account, the member and the membership in one transaction
    (AccountAdapter.save_user stores the name and language; `signup` accepts the invitation).
    """

    field_order = ["email", "name", "language", "password1", "password2"]
    required_provider: dict | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = pending_invitation_in_session(allauth_context.request)
        self.fields["name"] = forms.CharField(
            label=_("Your name"),
            max_length=150,
            help_text=_("How your name is shown to others."),
            widget=forms.TextInput(attrs={"autocomplete": "name"}),
        )
        self.fields["language"] = forms.ChoiceField(
            label=_("Preferred language"),
            choices=settings.LANGUAGES,
            help_text=_("Pages and emails are shown to you in this language."),
        )
        if self.invitation is not None:
            # The link proved the address: it is shown, not typed, and cannot be changed.
            self.fields["email"].disabled = True
            self.fields["email"].help_text = _("The address the invitation was sent to.")
            self.initial.update(
                email=self.invitation.email, name=self.invitation.name, language=self.invitation.language
            )
        self.order_fields(self.field_order)

    def clean_email(self) -> str:
        if self.invitation is None:
            raise ValidationError(_("This invitation is no longer valid. Use the link in your email again."))
        # Whatever was posted, the account gets the invitation's address.
        self.cleaned_data["email"] = self.invitation.email
        app = required_provider(self.invitation.email)
        if app is not None:
            self.required_provider = app
            raise ValidationError(required_provider_message(app), code="organisation_account_required")
        return super().clean_email()

    def try_save(self, request: HttpRequest):
        try:
            # The account, its address, the member and the membership: all or nothing.
            with transaction.atomic():
                return super().try_save(request)
        except ValidationError:
            # The link was used, withdrawn or expired meanwhile: say so instead of failing.
            return None, session_invitation_problem(request)

    def signup(self, request: HttpRequest, user) -> None:
        membership = invitations.accept_invitation(invitation=self.invitation, user=user)
        request.session.pop(SESSION_KEY, None)
        # Read by AccountAdapter.get_signup_redirect_url: the new member lands on the group page.
        request.joined_group_slug = membership.group.slug


# --- The profile and the group pages ------------------------------------------------------------

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
            *translated_names("name", "mandate", "lines_of_action"),
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
        if not any(cleaned.get(name) for name in translated_names("name")):
            raise forms.ValidationError(_("Give the group a name in at least one language."))
        if cleaned.get("is_public") and not any(
            cleaned.get(name) for name in translated_names("mandate")
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
        fields = [*translated_names("title"), "url"]
        labels = {"url": _("Address of the link")}

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in translated_names("title")):
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


# --- The outbox ---------------------------------------------------------------------------------


class SendAgainForm(forms.Form):
    """Send one failed message again (its number)."""

    message = forms.IntegerField(min_value=1)
