"""The window of dates Concerto accepts, for every date and time a person enters or filters on.

From 1 January 2000 up to ten years from today. A date outside it is a typing mistake, and
dates near the ends of the calendar (year 1, year 9999) break the arithmetic on them (time
zones, series, periods). Every form field that reads a date or a date and time uses the
fields below, so the window and its message are defined here only.
"""

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

EARLIEST = date(2000, 1, 1)
YEARS_AHEAD = 10


def latest(today: date | None = None) -> date:
    """The last accepted day: today, ten years on (28 February for a 29 February)."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def bounds(today: date | None = None) -> tuple[date, date]:
    """(first, last) accepted day, both included."""
    return EARLIEST, latest(today)


def contains(value: date | datetime) -> bool:
    """Whether the day of `value` (as written, in its own time zone) is in the window."""
    day = value.date() if isinstance(value, datetime) else value
    first, last = bounds()
    return first <= day <= last


def validate(value: date | datetime | None) -> None:
    """ValidationError, in the reader's language, for a date outside the window."""
    if value is None or contains(value):
        return
    first, last = bounds()
    raise ValidationError(
        gettext("Enter a date between %(first)s and %(last)s.")
        % {"first": date_format(first, "DATE_FORMAT"), "last": date_format(last, "DATE_FORMAT")},
        code="outside_date_window",
    )


class _WindowAttributes:
    """Give the browser's date picker the same window (refreshed for each form, not at start-up)."""

    input_format = "%Y-%m-%d"

    def window_attrs(self) -> dict[str, str]:
        first, last = bounds()
        return {"min": first.strftime(self.input_format), "max": last.strftime(self.input_format)}

    def widget_attrs(self, widget) -> dict:
        return {**super().widget_attrs(widget), **self.window_attrs()}

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.widget.attrs.update(result.window_attrs())
        return result


class DateField(_WindowAttributes, forms.DateField):
    """A date in the window."""

    default_validators = [validate]


class DateTimeField(_WindowAttributes, forms.DateTimeField):
    """A date and time whose day is in the window."""

    default_validators = [validate]

    def window_attrs(self) -> dict[str, str]:
        first, last = bounds()
        return {"min": f"{first:%Y-%m-%d}T00:00", "max": f"{last:%Y-%m-%d}T23:59"}
