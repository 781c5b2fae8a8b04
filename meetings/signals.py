"""The one hand-off from meetings to coordination.

`minutes_approved` is sent once, after the transaction that approved the minutes commits, with
`minutes` (a meetings.models.Minutes) and `by` (the Member who approved, or None for a command).
coordination/apps.py connects the receiver that turns the minutes' action items into commitments;
meetings itself knows nothing of commitments.
"""

from django.dispatch import Signal

minutes_approved = Signal()
