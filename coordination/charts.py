"""Bar charts drawn on the server as inline SVG: no script, nothing from elsewhere.

Each chart has a title and a description (read by assistive technology, the SVG being one
image) and is shown next to a data table with the same numbers (WCAG 1.1.1, 1.4.1). Bars are
told apart by their text label and value and by a pattern, not by colour alone; every colour
has a contrast of at least 3:1 on white (WCAG 1.4.11).
"""

import textwrap
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext, pgettext

from coordination.models import Completion, Status

# Colours of at least 3:1 against white (and the page's white text on them is not needed: values
# are written beside the bars, in the page's text colour).
_STATUS_STYLES = {
    Status.PLANNED: ("#595959", "dots"),
    Status.IN_PROGRESS: ("#1f5f8b", "diagonal"),
    Status.DONE: ("#2e6b30", "solid"),
    Status.DELAYED: ("#a4262c", "cross"),
    Status.DROPPED: ("#6b5a00", "horizontal"),
}
_COMPLETION_STYLES = {
    Completion.NOT_STARTED: ("#595959", "dots"),
    Completion.LIMITED: ("#8a4b00", "cross"),
    Completion.SUBSTANTIAL: ("#1f5f8b", "diagonal"),
    Completion.COMPLETED: ("#2e6b30", "solid"),
}
_NEUTRAL_STYLE = ("#1f5f8b", "solid")

# Geometry, in SVG units: the chart scales to its container's width (viewBox), so it never makes
# the page scroll sideways; the label sits above its bar so that long labels keep their room.
WIDTH = 400
TRACK = 300  # the longest bar
LINE = 18  # one line of a label
LABEL_CHARACTERS = 46  # a longer label wraps onto several lines, within the chart's width
BAR_GAP = 6  # between a label and its bar
BAR_HEIGHT = 16
ROW_GAP = 12  # between a bar and the next label
PADDING = 4
DISPLAY_SCALE = 1.2


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | float | Decimal
    text: str  # the value as written beside the bar and in the table
    colour: str
    pattern: str
    label_lines: list[tuple[int, str]]  # (baseline y, text) of each line of the label
    bar_y: int
    width: float
    share: str = ""  # the value as a percentage of the total, for count charts

    @property
    def value_y(self) -> int:
        return self.bar_y + 13


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    value_heading: str
    bars: list[Bar]
    height: int
    show_share: bool = False
    bar_height: int = BAR_HEIGHT
    width: int = WIDTH

    # Drawn 1.2 times its units on a wide screen (14-unit labels read at about 17 px); the page's
    # style (max-width: 100%, height: auto) scales it down to a narrow screen's width.
    @property
    def display_width(self) -> int:
        return round(self.width * DISPLAY_SCALE)

    @property
    def display_height(self) -> int:
        return round(self.height * DISPLAY_SCALE)


def _percent(part: int, total: int) -> str:
    if not total:
        return "0 %"
    value = (Decimal(part) * 100 / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{value} %"


def _chart(
    chart_id: str,
    title: str,
    rows: list[tuple[str, int | float | Decimal, str, tuple[str, str]]],
    *,
    maximum: float,
    value_heading: str,
    show_share: bool,
    total: int = 0,
) -> Chart:
    bars, y = [], PADDING
    for label, value, text, (colour, pattern) in rows:
        width = float(value) / maximum * TRACK if maximum else 0
        share = _percent(int(value), total) if show_share else ""
        lines = textwrap.wrap(label, LABEL_CHARACTERS) or [""]
        label_lines = [(y + LINE * (number + 1) - 4, line) for number, line in enumerate(lines)]
        bar_y = y + LINE * len(lines) + BAR_GAP - 4
        bars.append(
            Bar(label, value, text, colour, pattern, label_lines, bar_y, width=round(width, 1), share=share)
        )
        y = bar_y + BAR_HEIGHT + ROW_GAP
    summary = "; ".join(
        gettext("%(label)s: %(value)s") % {"label": bar.label, "value": bar.text} for bar in bars
    )
    return Chart(
        id=chart_id,
        title=title,
        description=summary or gettext("No data yet."),
        value_heading=value_heading,
        bars=bars,
        height=max(y, LINE + PADDING),
        show_share=show_share,
    )


def count_chart(chart_id: str, title: str, counts: dict[str, int], choices, styles: dict) -> Chart:
    """Bars of how many fall in each choice (all choices shown, in their order, zeros included)."""
    total = sum(counts.values())
    rows = [
        (str(label), counts.get(value, 0), str(counts.get(value, 0)), styles.get(value, _NEUTRAL_STYLE))
        for value, label in choices
    ]
    return _chart(
        chart_id,
        title,
        rows,
        maximum=max([count for _l, count, _t, _s in rows] + [1]),
        value_heading=pgettext("a count, as a column heading", "Number"),
        show_share=True,
        total=total,
    )


def status_chart(chart_id: str, title: str, counts: dict[str, int]) -> Chart:
    return count_chart(chart_id, title, counts, Status.choices, _STATUS_STYLES)


def completion_chart(chart_id: str, title: str, counts: dict[str, int]) -> Chart:
    return count_chart(chart_id, title, counts, Completion.choices, _COMPLETION_STYLES)


def progress_chart(chart_id: str, title: str, rows: list[tuple[str, int]]) -> Chart:
    """Bars of an average progress (0–100 %) per label."""
    return _chart(
        chart_id,
        title,
        [(label, value, f"{value} %", _NEUTRAL_STYLE) for label, value in rows],
        maximum=100,
        value_heading=gettext("Average progress"),
        show_share=False,
    )
