"""Forms of invitations to join: invite one person, import a spreadsheet, sign up from a link.

They validate input; members.invitations does the writing.
"""

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

from members import invitations
from members.models import Administration, JoinInvitation, Membership

SESSION_KEY = "join_invitation_id"


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
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
            "rows": invitations.IMPORT_MAX_ROWS,
        }


def pending_invitation_in_session(request: HttpRequest | None) -> JoinInvitation | None:
    """The pending invitation whose link this browser followed, if any."""
    if request is None or not hasattr(request, "session"):
        return None
    invitation_id = request.session.get(SESSION_KEY)
    if not invitation_id:
        return None
    return JoinInvitation.objects.pending().select_related("group").filter(pk=invitation_id).first()


class InvitationSignupForm(SignupForm):
    """allauth's sign-up, opened by an invitation link: the address is the invitation's.

    Saving creates the account, the member and the membership in one transaction
    (AccountAdapter.save_user stores the name and language; `signup` accepts the invitation).
    """

    field_order = ["email", "name", "language", "password1", "password2"]

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
        return super().clean_email()

    def try_save(self, request: HttpRequest):
        try:
            # The account, its address, the member and the membership: all or nothing.
            with transaction.atomic():
                return super().try_save(request)
        except ValidationError:
            # The link was used, withdrawn or expired meanwhile: say so instead of failing.
            from members.invitation_views import problem_response

            invitation = JoinInvitation.objects.filter(pk=request.session.pop(SESSION_KEY, None)).first()
            problem = invitations.problem_of(invitation) if invitation else None
            return None, problem_response(request, invitation, problem or invitations.Problem.UNKNOWN)

    def signup(self, request: HttpRequest, user) -> None:
        membership = invitations.accept_invitation(invitation=self.invitation, user=user)
        request.session.pop(SESSION_KEY, None)
        # Read by AccountAdapter.get_signup_redirect_url: the new member lands on the group page.
        request.joined_group_slug = membership.group.slug
