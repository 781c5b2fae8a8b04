from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from anymail.signals import inbound
        from django.db.backends.signals import connection_created

        from meetings import inbound as inbound_mail
        from meetings.membership import on_membership_ended
        from meetings.privacy import on_member_anonymised
        from meetings.search import register_fold
        from members.signals import member_anonymised, membership_ended

        # Calendar answers (iTIP REPLY) received through the email provider's inbound webhook.
        inbound.connect(inbound_mail.handle_inbound_event, dispatch_uid="meetings.inbound.calendar_replies")
        # A departed member anonymised in the members app: erase what meetings stores about them.
        member_anonymised.connect(on_member_anonymised, dispatch_uid="meetings.privacy.forget_member")
        # SQLite: the case- and accent-folding function search uses (PostgreSQL has unaccent()).
        connection_created.connect(register_fold, dispatch_uid="meetings.search.fold")
        # A membership ended: its invitations to the group's coming meetings go in the same transaction.
        membership_ended.connect(on_membership_ended, dispatch_uid="meetings.membership.withdraw_invitations")
