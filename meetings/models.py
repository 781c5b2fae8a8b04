from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.translated import TranslatedField, any_language_filled
from members.models import Administration, Group, Member, Membership


class MeetingSeries(models.Model):
    """Meetings scheduled together from a pattern; each occurrence is its own meeting."""

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="meeting_series", verbose_name=_("group")
    )
    rule = models.CharField(_("repetition rule"), max_length=255, help_text=_("An iCalendar RRULE."))
    description = models.CharField(_("pattern"), max_length=255, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")

    def __str__(self) -> str:
        return self.description or self.rule


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, member: Member) -> "MeetingQuerySet":
        """Meetings of the member's current groups, and those they are personally invited to."""
        # Exists(), not a join, so that counts in other annotations stay correct.
        in_group = Membership.objects.current().filter(group=OuterRef("group"), member=member)
        invited = Invitation.objects.filter(meeting=OuterRef("pk"), member=member, removed_at__isnull=True)
        return self.filter(Exists(in_group) | Exists(invited))

    def upcoming(self) -> "MeetingQuerySet":
        return self.filter(ends_at__gte=timezone.now()).exclude(status=Meeting.Status.CANCELLED)

    def past(self) -> "MeetingQuerySet":
        return self.filter(ends_at__lt=timezone.now())

    def with_list_data(self) -> "MeetingQuerySet":
        """Everything the meeting list reads, in a fixed number of queries."""
        active = Q(invitations__removed_at__isnull=True)
        accepted = active & Q(invitations__rsvp=Invitation.Rsvp.ACCEPTED)
        return self.select_related("group", "organiser__user").annotate(
            invited_count=Count("invitations", filter=active),
            accepted_count=Count("invitations", filter=accepted),
        )

    def overlapping(self, start, end) -> "MeetingQuerySet":
        """Meetings that take place (at least partly) between two aware datetimes."""
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def with_agenda_data(self) -> "MeetingQuerySet":
        """The meeting with its agenda items (`agenda`), their presenters and documents' files.

        Feeds the agenda builder and, through with_detail_data(), the meeting page.
        """
        documents = Document.objects.prefetch_related("files")
        items = AgendaItem.objects.select_related("presenter__user", "presenter_administration")
        items = items.prefetch_related(models.Prefetch("documents", queryset=documents))
        return self.select_related(
            "group", "organiser__user", "organiser__administration", "series"
        ).prefetch_related(models.Prefetch("agenda_items", queryset=items, to_attr="agenda"))

    def with_detail_data(self) -> "MeetingQuerySet":
        """Everything meeting_detail.html reads, in a fixed number of queries.

        Adds `agenda` (see with_agenda_data), `general_documents` (not tied to an item, with
        their files) and `active_invitations` (not removed, with member, user, administration).
        """
        general = Document.objects.filter(agenda_item__isnull=True).prefetch_related("files")
        invitations = Invitation.objects.filter(removed_at__isnull=True).select_related(
            "member__user", "member__administration"
        )
        return self.with_agenda_data().prefetch_related(
            "invited_administrations",
            models.Prefetch("documents", queryset=general, to_attr="general_documents"),
            models.Prefetch("invitations", queryset=invitations, to_attr="active_invitations"),
        )


class Meeting(models.Model):
    class Kind(models.TextChoices):
        PLENARY = "plenary", _("Plenary")
        WORKING_GROUP = "working_group", _("Working group")
        CONSULTATION = "consultation", _("Stakeholder consultation")

    class Format(models.TextChoices):
        ON_SITE = "on_site", _("On site")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        HELD = "held", _("Held")

    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("group")
    )
    series = models.ForeignKey(
        MeetingSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    title = TranslatedField(models.CharField, _("title"), max_length=255)
    description = TranslatedField(models.TextField, _("description"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.WORKING_GROUP)
    format = models.CharField(_("format"), max_length=20, choices=Format.choices, default=Format.ON_SITE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.TextField(_("address"), blank=True)
    online_url = models.URLField(_("online meeting link"), blank=True, max_length=500)
    rsvp_deadline = models.DateTimeField(_("answer by"), null=True, blank=True)
    organiser = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organiser"),
    )
    invite_whole_group = models.BooleanField(_("invite the whole group"), default=True)
    invited_administrations = models.ManyToManyField(
        Administration, blank=True, related_name="+", verbose_name=_("invited administrations")
    )
    is_public = models.BooleanField(_("shown on the public page"), default=False)
    # iCalendar SEQUENCE: raised on every change calendars must apply (RFC 5546).
    sequence = models.PositiveIntegerField(_("revision"), default=0)
    circulated_at = models.DateTimeField(_("agenda circulated at"), null=True, blank=True)
    # When the date or time last moved after circulation: answers given before it are to confirm.
    time_changed_at = models.DateTimeField(_("time changed at"), null=True, blank=True)
    cancellation_note = TranslatedField(models.TextField, _("cancellation note"))
    # What the last circulated version said (time, place, agenda): the update email tells
    # invitees what changed since (meetings.sending.changes_since_circulation).
    circulated_version = models.JSONField(default=dict, blank=True, editable=False)
    remind_unanswered_days = models.PositiveSmallIntegerField(
        _("remind those who have not answered (days before)"), null=True, blank=True, default=7
    )
    remind_accepted_day_before = models.BooleanField(
        _("remind those who accepted the day before"), default=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords(excluded_fields=["circulated_version"])

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at", "pk"]
        indexes = [
            # A feed's validator reads its meetings from this index alone (an index-only scan on
            # PostgreSQL): meetings.views.calendar.feed_state.
            # (Key columns rather than INCLUDE, which SQLite does not know.)
            models.Index(
                fields=["group", "status", "updated_at", "id", "sequence", "organiser"],
                name="meeting_feed_state",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=any_language_filled("title"), name="meeting_has_a_title"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def uid(self) -> str:
        """The iCalendar UID: one per meeting, never changes."""
        return f"meeting-{self.pk}@{settings.SITE_DOMAIN}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        INFORMATION = "information", _("Information")
        DISCUSSION = "discussion", _("Discussion")
        DECISION = "decision", _("Decision")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = TranslatedField(models.CharField, _("title"), max_length=255)
    description = TranslatedField(models.TextField, _("description"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.INFORMATION)
    presenter = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("presenter"),
    )
    presenter_administration = models.ForeignKey(
        Administration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("presenting administration"),
    )
    duration_minutes = models.PositiveSmallIntegerField(_("planned duration (minutes)"), default=15)

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=any_language_filled("title"),
                name="agenda_item_has_a_title",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Document(models.Model):
    """A paper for a meeting or one of its items; its files are versions and language editions."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=255)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["meeting", "agenda_item__position", "title", "pk"]

    def __str__(self) -> str:
        return self.title


def document_path(instance: "DocumentFile", filename: str) -> str:
    # The stored name is ours; the original name is kept in a field and used for downloads.
    import uuid

    return f"meetings/{instance.document.meeting_id}/{uuid.uuid4().hex}"


class DocumentFile(models.Model):
    """One uploaded file: a version of a document, in one language (or for every language)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="files")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    file = models.FileField(_("file"), upload_to=document_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document file")
        verbose_name_plural = _("document files")
        ordering = ["document", "language", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["document", "language", "version"], name="one_file_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.version})"


class AttendanceMode(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    ONLINE = "online", _("Online")


class Invitation(models.Model):
    """One invitee of one meeting (a member or a guest by email), with their answer."""

    class Rsvp(models.TextChoices):
        NONE = "none", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted")
        TENTATIVE = "tentative", _("Tentative")
        DECLINED = "declined", _("Declined")
        DELEGATED = "delegated", _("Sends a substitute")

    class Source(models.TextChoices):
        GROUP = "group", _("Group member")
        ADMINISTRATION = "administration", _("Invited administration")
        PERSONAL = "personal", _("Invited personally")
        GUEST = "guest", _("Guest")
        SUBSTITUTE = "substitute", _("Substitute")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="meeting_invitations"
    )
    email = models.EmailField(_("email address"), blank=True, help_text=_("For guests without an account."))
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    source = models.CharField(_("invited as"), max_length=20, choices=Source.choices, default=Source.GROUP)
    rsvp = models.CharField(_("answer"), max_length=20, choices=Rsvp.choices, default=Rsvp.NONE)
    rsvp_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    rsvp_comment = models.TextField(_("comment"), blank=True, max_length=1000)
    # The meeting moved after this answer was given: it stands until the invitee confirms it
    # for the new time (RFC 5546: the organiser asks again with PARTSTAT=NEEDS-ACTION).
    rsvp_to_confirm = models.BooleanField(_("answer to confirm"), default=False)
    attendance_mode = models.CharField(
        _("joining"), max_length=10, choices=AttendanceMode.choices, blank=True
    )
    # The substitute's own invitation, when this invitee sends one (answer "delegated").
    delegated_to = models.ForeignKey(
        "self",
        verbose_name=_("substitute"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="delegated_from",
    )
    # The last SEQUENCE this invitee was sent; None before the first circulation reached them.
    sent_sequence = models.PositiveIntegerField(null=True, blank=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    unanswered_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    accepted_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["meeting", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"],
                condition=Q(member__isnull=False),
                name="one_invitation_per_member",
            ),
            models.UniqueConstraint(
                fields=["meeting", "email"], condition=Q(member__isnull=True), name="one_invitation_per_guest"
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False) | ~Q(email=""), name="invitation_has_a_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} – {self.meeting}"

    @property
    def display_name(self) -> str:
        return self.member.user.name if self.member_id else (self.name or self.email)

    @property
    def recipient_email(self) -> str:
        return self.member.user.email if self.member_id else self.email


class RsvpAnswer(models.Model):
    """Every answer ever given to an invitation, newest last: the invitation holds the current one."""

    class Channel(models.TextChoices):
        WEB = "web", _("Meeting page")
        EMAIL_LINK = "email_link", _("Link in the email")
        CALENDAR = "calendar", _("Calendar")
        CHAIR = "chair", _("Chair or secretariat")

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="answers")
    answer = models.CharField(_("answer"), max_length=20, choices=Invitation.Rsvp.choices)
    comment = models.TextField(_("comment"), blank=True)
    attendance_mode = models.CharField(
        _("joining"), max_length=10, choices=AttendanceMode.choices, blank=True
    )
    channel = models.CharField(_("answered through"), max_length=20, choices=Channel.choices)
    answered_by = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    created_at = models.DateTimeField(_("answered at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["invitation", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.invitation_id}: {self.answer}"


class Attendance(models.Model):
    """Who was there on the day, recorded by the secretariat, starting from the answers."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices)
    represented_by = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("represented by"),
    )
    # A guest (or anyone without an account) who stood in: their name as written on the sheet.
    represented_by_name = models.CharField(_("represented by (name)"), max_length=150, blank=True)
    recorded_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")

    def __str__(self) -> str:
        return f"{self.invitation_id}: {self.status}"


class CalendarReply(models.Model):
    """Each iTIP REPLY received from a calendar, what it matched and what was done: an audit log."""

    class Outcome(models.TextChoices):
        RECORDED = "recorded", _("Answer recorded")
        REFUSED = "refused", _("Refused")

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    sender = models.CharField(max_length=254, blank=True)
    uid = models.CharField(max_length=255, blank=True)
    sequence = models.IntegerField(null=True, blank=True)
    attendee = models.CharField(max_length=254, blank=True)
    partstat = models.CharField(max_length=20, blank=True)
    invitation = models.ForeignKey(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("calendar reply")
        verbose_name_plural = _("calendar replies")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.attendee} {self.outcome}"


class Minutes(models.Model):
    """The record of a held meeting: written by item, commented, approved, then published.

    The texts live on MinutesItem, Decision and ActionItem; each save through the services keeps a
    MinutesVersion. Who did each step, and when, is kept on this row.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FOR_COMMENTS = "for_comments", _("Out for comments")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")

    class Audience(models.TextChoices):
        ATTENDEES = "attendees", _("Those who attended")
        GROUP = "group", _("The whole group")

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    chair = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("chaired by")
    )
    language = models.CharField(
        _("written in"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    comment_audience = models.CharField(
        _("sent for comments to"), max_length=20, choices=Audience.choices, blank=True
    )
    comment_deadline = models.DateTimeField(_("comments by"), null=True, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    sent_for_comments_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_for_comments_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_at_meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="minutes_approved_here",
        verbose_name=_("approved at the meeting"),
    )
    published_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self) -> str:
        return str(self.meeting)

    @property
    def is_editable(self) -> bool:
        """Texts change only before approval."""
        return self.status in {self.Status.DRAFT, self.Status.FOR_COMMENTS}


class MinutesItem(models.Model):
    """One section of the minutes: an agenda item, or an item added at the meeting ("any other business")."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="items")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="minutes_items"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = TranslatedField(models.CharField, _("title"), max_length=255)
    summary = TranslatedField(models.TextField, _("summary of the discussion"))

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("minutes item")
        verbose_name_plural = _("minutes items")
        ordering = ["minutes", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=any_language_filled("title"), name="minutes_item_has_a_title"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_added(self) -> bool:
        """Not on the agenda: raised at the meeting."""
        return self.agenda_item_id is None


class Decision(models.Model):
    """A decision taken under an item, numbered across the group's year, e.g. 2027/03-2."""

    item = models.ForeignKey(MinutesItem, on_delete=models.CASCADE, related_name="decisions")
    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveIntegerField(_("position"), default=0)
    number = models.CharField(_("number"), max_length=30, blank=True)
    text = TranslatedField(models.TextField, _("decision"))

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["minutes", "item__position", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=any_language_filled("text"), name="decision_has_a_text"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text}".strip()


class ActionItem(models.Model):
    """Something to do after the meeting, owned by an administration (and perhaps a member).

    When the minutes are approved, `meetings.signals.minutes_approved` lets coordination turn each
    one into a commitment.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    item = models.ForeignKey(MinutesItem, on_delete=models.CASCADE, related_name="actions")
    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveIntegerField(_("position"), default=0)
    text = TranslatedField(models.TextField, _("action"))
    owner_administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner administration")
    )
    owner = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)

    # Who changed what and when (members.history reads it; never edited).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["minutes", "item__position", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=any_language_filled("text"), name="action_item_has_a_text"),
        ]

    def __str__(self) -> str:
        return self.text


class MinutesVersion(models.Model):
    """A saved state of the minutes' texts, never changed afterwards: what versions and differences read."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=Minutes.Status.choices)
    content = models.JSONField(default=dict)
    saved_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("minutes version")
        verbose_name_plural = _("minutes versions")
        ordering = ["minutes", "number"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="one_minutes_version_per_number"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} v{self.number}"


class MinutesComment(models.Model):
    """A reader's comment on draft minutes, on one item or on the whole; the secretariat settles it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="comments")
    item = models.ForeignKey(
        MinutesItem, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    author = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(_("reply"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("comment on minutes")
        verbose_name_plural = _("comments on minutes")
        ordering = ["minutes", "created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


def pack_path(instance: "MeetingPack", filename: str) -> str:
    return f"packs/{instance.meeting_id}/{instance.kind}-{instance.language}-{instance.key[:16]}.pdf"


class MeetingPack(models.Model):
    """A built PDF: the meeting pack (cover, agenda, papers) or the minutes, in one language.

    `key` fingerprints what went in (agenda, files, minutes version): a row whose key no longer
    matches is stale and is built again.
    """

    class Kind(models.TextChoices):
        PACK = "pack", _("Meeting pack")
        MINUTES = "minutes", _("Minutes")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        BUILDING = "building", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Could not be built")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="packs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PACK)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    key = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=pack_path, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("meeting pack")
        verbose_name_plural = _("meeting packs")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "kind", "language"], name="one_pack_per_language"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.kind} {self.language}"
