"""The search page: one box for meetings, agenda items, documents, minutes and decisions."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from meetings.search import MAX_LENGTH, parse, search
from members.access import member_required

RESULTS_PER_KIND = 20


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for"),
        max_length=MAX_LENGTH,
        widget=forms.SearchInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "Meetings, agenda items, documents, minutes and decisions you may see, in every language."
        ),
        error_messages={"required": _("Type a word to look for.")},
    )

    def clean_q(self) -> str:
        text = self.cleaned_data["q"]
        if not parse(text):
            raise forms.ValidationError(_("Type at least one word or number to look for."))
        return text


@member_required
def results(request: HttpRequest) -> HttpResponse:
    form = SearchForm(data=request.GET if "q" in request.GET else None)
    groups, total = [], 0
    if form.is_valid():
        groups = search(request.member, form.cleaned_data["q"], limit_per_kind=RESULTS_PER_KIND)
        total = sum(group.total for group in groups)
    context = {"form": form, "groups": groups, "total": total, "searched": form.is_bound and form.is_valid()}
    return render(request, "meetings/search.html", context)
