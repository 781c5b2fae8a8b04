"""The signals the members app sends, for apps above it (imports flow coordination → meetings → members).

member_anonymised(sender=Member, member=…, old_email=…): sent inside the anonymising transaction,
after the members app has erased what it stores. Receivers erase what their app stores about
that person (comments on answers, addresses in logs) and must not send anything.

membership_ended(sender=Membership, membership=…): sent inside the transaction that ends a
membership (members.services.end_membership, deactivate_member), after `end` is saved. Receivers
withdraw, in that same transaction, what the membership gave (invitations to the group's coming
meetings), so that access ends with the membership and not at the next periodic sync. They may
queue emails through members.services.queue_message (sent after commit) and must not commit.
"""

from django.dispatch import Signal

member_anonymised = Signal()
membership_ended = Signal()
