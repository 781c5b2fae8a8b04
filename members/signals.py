"""The one signal the members app sends, for apps above it (imports flow coordination → meetings → members).

member_anonymised(sender=Member, member=…, old_email=…): sent inside the anonymising transaction,
after the members app has erased what it stores. Receivers erase what their app stores about
that person (comments on answers, addresses in logs) and must not send anything.
"""

from django.dispatch import Signal

member_anonymised = Signal()
