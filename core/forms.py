"""What every app's views do with forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST; None on GET, so that the form starts unbound."""
    return request.POST if request.method == "POST" else None


def add_service_errors(form: forms.Form, error: ValidationError, *, fields: set[str] | None = None) -> None:
    """A service's ValidationError on the form: on the field where the form shows it (one of `fields`,
    when given), else on top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        shown = field in form.fields and (fields is None or field in fields)
        form.add_error(field if shown else None, errors)


class DateInput(forms.DateInput):
    """A date picker (<input type="date">). Its value is always ISO 8601, whatever the page's language:
    a browser shows an empty field for "30/06/2026", and a form saved from it would lose the date."""

    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
