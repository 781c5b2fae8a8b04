"""The forms of the reporting round pages: they validate input; coordination.rounds writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from coordination.rounds import MAX_REMIND_DAYS
from core import date_window
from core.forms import DateInput


class OpenRoundForm(forms.Form):
    label = forms.CharField(
        label=_("Label"), max_length=100, required=False, help_text=_("For example Spring 2026.")
    )
    deadline = date_window.DateField(
        label=_("Deadline"),
        help_text=_("The day by which each administration reports on its parts."),
        widget=DateInput(),
    )
    remind_days_before = forms.IntegerField(
        label=_("Remind (days before the deadline)"),
        required=False,
        min_value=0,
        max_value=MAX_REMIND_DAYS,
        initial=7,
        help_text=_("Focal points who have not reported get one reminder that day. Leave empty for none."),
    )
    note = forms.CharField(
        label=_("Note to the focal points"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Added to the email each focal point receives."),
    )
