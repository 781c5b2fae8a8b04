from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.translated import translated_names
from members import services
from members.models import Administration, Group, GroupLink, JoinInvitation, Member, Membership, User, Version
from members.outbox import OutboundMessage


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "language", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal details"), {"fields": ["name", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "language", "password1", "password2"]})
    ]


@admin.register(Administration)
class AdministrationAdmin(admin.ModelAdmin):
    list_display = ["acronym", *translated_names("name"), "level", "entity", "parent", "is_active"]
    list_filter = ["level", "entity", "is_active"]
    search_fields = ["acronym", *translated_names("name")]
    autocomplete_fields = ["parent"]


# Roles change and memberships end through the group's pages (members.services), which check who
# may give which role and withdraw meeting access at once: here they are shown, never edited.
MEMBERSHIP_SET_BY_SERVICES = ["member", "group", "role", "substitute_for", "start", "end"]


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "member"
    extra = 0
    fields = MEMBERSHIP_SET_BY_SERVICES
    readonly_fields = MEMBERSHIP_SET_BY_SERVICES
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "administration",
        "job_title",
        "email_bounced_at",
        "deactivated_at",
        "anonymised_at",
    ]
    list_filter = ["administration__level", "administration__entity", "deactivated_at", "anonymised_at"]
    list_select_related = ["user", "administration"]
    search_fields = ["user__name", "user__email", "job_title", "administration__acronym"]
    autocomplete_fields = ["user", "administration"]
    readonly_fields = ["feed_token", "created_at", "anonymised_at"]
    inlines = [MembershipInline]
    actions = ["deactivate", "anonymise", "clear_bounce"]

    @admin.action(description=_("Deactivate: end memberships and stop all emails"))
    def deactivate(self, request, queryset):
        done = 0
        for member in queryset.select_related("user").filter(deactivated_at__isnull=True):
            services.deactivate_member(member=member)
            done += 1
        self.message_user(request, ngettext("%d member deactivated.", "%d members deactivated.", done) % done)

    @admin.action(description=_("Anonymise departed members (keeps history)"))
    def anonymise(self, request, queryset):
        done = 0
        for member in queryset.select_related("user"):
            try:
                services.anonymise_member(member=member)
            except ValidationError as error:
                self.message_user(request, f"{member}: {' '.join(error.messages)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request, ngettext("%d member anonymised.", "%d members anonymised.", done) % done
            )

    @admin.action(description=_("Mark the address as working again"))
    def clear_bounce(self, request, queryset):
        queryset.update(email_bounced_at=None)


class GroupLinkInline(admin.TabularInline):
    model = GroupLink
    extra = 0


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["slug", *translated_names("name"), "is_public", "show_next_meetings"]
    list_filter = ["is_public"]
    search_fields = ["slug", *translated_names("name")]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [GroupLinkInline]


@admin.register(GroupLink)
class GroupLinkAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "url", "document", "position"]
    list_filter = ["group"]
    list_select_related = ["group"]
    search_fields = [*translated_names("title"), "url"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "group", "role", "substitute_for", "start", "end"]
    list_filter = ["group", "role", "end"]
    list_select_related = ["member__user", "group", "substitute_for__user"]
    search_fields = ["member__user__name", "member__user__email", "group__slug"]
    readonly_fields = MEMBERSHIP_SET_BY_SERVICES
    date_hierarchy = "start"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(JoinInvitation)
class JoinInvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "group",
        "role",
        "administration",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["group", "role", "accepted_at", "revoked_at"]
    list_select_related = ["group", "administration"]
    search_fields = ["email", "name"]
    readonly_fields = ["token_hash", "created_at", "accepted_at", "accepted_by"]
    autocomplete_fields = ["group", "administration", "invited_by"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to_email", "language", "status", "attempts", "batch"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["to_email", "subject", "batch", "provider_message_id", "message_id"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in OutboundMessage._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request) -> bool:
        return False  # messages are written by the application, never by hand

    @admin.action(description=_("Send failed messages again"))
    def send_again(self, request, queryset):
        done = 0
        for message in queryset.filter(status=OutboundMessage.Status.FAILED):
            services.retry_message(message=message)
            done += 1
        self.message_user(
            request, ngettext("%d message queued again.", "%d messages queued again.", done) % done
        )


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    """Shown for inspection only: the numbers are raised by the application in the transaction
    that changes what they version; a number set by hand would let pages keep stale parts."""

    list_display = ["name", "value"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
