from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.translated import TranslatedField, any_language_filled


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who can sign in. Email is the login identifier."""

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, help_text=_("How your name is shown to others."))
    language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Pages and emails are shown to you in this language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can sign in to the administration site.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class AdministrationQuerySet(models.QuerySet):
    def with_member_counts(self) -> "AdministrationQuerySet":
        """Annotates `member_count`: the members shown in the directory (active, not anonymised)."""
        visible = models.Q(
            members__deactivated_at__isnull=True,
            members__user__is_active=True,
            members__anonymised_at__isnull=True,
        )
        return self.annotate(member_count=models.Count("members", filter=visible))


class Administration(models.Model):
    """An organisation members belong to: a public service, a regional department, a stakeholder."""

    class Level(models.TextChoices):
        FEDERAL = "federal", _("Federal")
        REGIONAL = "regional", _("Regional")
        COMMUNITY = "community", _("Community")
        STAKEHOLDER = "stakeholder", _("Stakeholder")

    class Entity(models.TextChoices):
        FEDERAL = "federal", _("Federal State")
        FLEMISH = "flemish", _("Flemish Government")
        WALLOON = "walloon", _("Walloon Government")
        BRUSSELS = "brussels", _("Brussels-Capital Region")
        GERMAN_SPEAKING = "german_speaking", _("German-speaking Community")
        FRENCH_COMMUNITY = "french_community", _("French Community")

    name = TranslatedField(models.CharField, _("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=30, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    entity = models.CharField(
        _("government or entity"),
        max_length=20,
        choices=Entity.choices,
        blank=True,
        help_text=_("Leave empty for stakeholder organisations."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = AdministrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("administration")
        verbose_name_plural = _("administrations")
        ordering = ["acronym"]
        constraints = [
            models.CheckConstraint(
                condition=any_language_filled("name"),
                name="administration_has_a_name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.acronym} – {self.name}" if self.name != self.acronym else self.acronym

class MemberQuerySet(models.QuerySet):
    def active(self) -> "MemberQuerySet":
        return self.filter(deactivated_at__isnull=True, user__is_active=True)

    def visible_in_directory(self) -> "MemberQuerySet":
        """Members other members may look up: active and not anonymised."""
        return self.active().filter(anonymised_at__isnull=True)

    def with_directory_data(self, groups: "models.QuerySet[Group] | None" = None) -> "MemberQuerySet":
        """Everything the directory, MemberTable and its exports read, in a fixed number of queries.

        Each member gets `current_memberships`: memberships in force today, with their group,
        limited to `groups` when given (the groups the reader may know of).
        """
        current = Membership.objects.current().select_related("group").order_by("group__slug", "role")
        if groups is not None:
            current = current.filter(group__in=groups)
        return self.select_related("user", "administration").prefetch_related(
            models.Prefetch("memberships", queryset=current, to_attr="current_memberships")
        )


class Member(models.Model):
    """A person's place on the platform: their administration, contact details and preferences."""

    class FormOfAddress(models.TextChoices):
        # Languages with gendered titles (Présidente, Vorsitzende) need it; nothing else does.
        UNSPECIFIED = "", _("Not specified")
        MS = "ms", _("Ms")
        MR = "mr", _("Mr")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="member"
    )
    administration = models.ForeignKey(
        Administration,
        verbose_name=_("administration"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    form_of_address = models.CharField(
        _("form of address"), max_length=4, choices=FormOfAddress.choices, blank=True, default=""
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Brussels")
    muted_kinds = models.JSONField(
        _("emails not wanted"),
        default=list,
        blank=True,
        help_text=_("Optional kinds of email this member chose not to receive."),
    )
    feed_token = models.CharField(_("calendar feed key"), max_length=64, unique=True, editable=False)
    email_bounced_at = models.DateTimeField(_("address bounced at"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # The start page shows what is new since the previous visit: a visit starts after a pause.
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    previous_visit_at = models.DateTimeField(_("previous visit at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["user__name"]

    def __str__(self) -> str:
        return str(self.user)

    def save(self, *args, **kwargs) -> None:
        if not self.feed_token:
            self.feed_token = new_feed_token()
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None and self.user.is_active

    @property
    def language(self) -> str:
        return self.user.language


def new_feed_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class Group(models.Model):
    """The platform itself or one of its working groups, with its public page."""

    slug = models.SlugField(_("short name in addresses"), max_length=60, unique=True)
    name = TranslatedField(models.CharField, _("name"), max_length=200)
    mandate = TranslatedField(models.TextField, _("mandate"))
    lines_of_action = TranslatedField(models.TextField, _("lines of action"))
    contact_email = models.EmailField(_("contact address"), blank=True)
    is_public = models.BooleanField(
        _("public page published"), default=False, help_text=_("Anyone can read the public page.")
    )
    show_next_meetings = models.BooleanField(_("show next meetings on the public page"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=any_language_filled("name"),
                name="group_has_a_name",
            )
        ]

    def __str__(self) -> str:
        return self.name


class GroupLink(models.Model):
    """A public document or useful link shown on a group's public page."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="links", verbose_name=_("group"))
    title = TranslatedField(models.CharField, _("title"), max_length=200)
    url = models.URLField(_("address"), blank=True)
    document = models.FileField(_("document"), upload_to="groups/%Y/", blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("public document or link")
        verbose_name_plural = _("public documents and links")
        ordering = ["group", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(url="") | ~models.Q(document=""), name="grouplink_has_a_target"
            )
        ]

    def __str__(self) -> str:
        return self.title


class MembershipQuerySet(models.QuerySet):
    def current(self, on=None) -> "MembershipQuerySet":
        """Memberships in force on a date (today by default): started, not yet ended."""
        day = on or timezone.localdate()
        return self.filter(start__lte=day).filter(models.Q(end__isnull=True) | models.Q(end__gt=day))


class Membership(models.Model):
    """A member's role in a group over a period. Ending one keeps it as history."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        VICE_CHAIR = "vice_chair", _("Vice-chair")
        SECRETARIAT = "secretariat", _("Secretariat")
        MEMBER = "member", _("Member")
        SUBSTITUTE = "substitute", _("Substitute")
        OBSERVER = "observer", _("Observer")

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("member")
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    substitute_for = models.ForeignKey(
        Member,
        verbose_name=_("stands in for"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="substitutes",
    )
    start = models.DateField(_("start"), default=timezone.localdate)
    end = models.DateField(_("end"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["group", "member__user__name", "-start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="membership_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["member", "group"],
                condition=models.Q(end__isnull=True),
                name="one_open_membership_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.group} ({self.get_role_display()})"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.start <= today and (self.end is None or self.end > today)


class JoinInvitationQuerySet(models.QuerySet):
    def pending(self) -> "JoinInvitationQuerySet":
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class JoinInvitation(models.Model):
    """An emailed, single-use invitation to set up an account and join a group with a role."""

    email = models.EmailField(_("email address"))
    name = models.CharField(_("name"), max_length=150)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="join_invitations", verbose_name=_("group")
    )
    role = models.CharField(
        _("role"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    administration = models.ForeignKey(
        Administration,
        verbose_name=_("administration"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Only a hash of the secret is stored: a database leak does not leak usable links.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        Member, verbose_name=_("invited by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        Member,
        verbose_name=_("accepted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = JoinInvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation to join")
        verbose_name_plural = _("invitations to join")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.group}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class Version(models.Model):
    """A number that changes with what pages show of a whole kind of thing (members.versions):
    pages that keep rendered parts put it in their key. Written in the changing transaction, so
    a reader sees the new number exactly when it sees the new data."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


from members.outbox import OutboundMessage  # noqa: E402, F401  (the outbox model lives in its own module)
