"""The `markdown` filter: what chairs type becomes HTML without anything that could run."""

import pytest
from django.template import Context, Template

from meetings.templatetags.meetings_tags import render_markdown


def render(text: str) -> str:
    return Template("{% load meetings_tags %}{{ text|markdown }}").render(Context({"text": text}))


def test_markdown_becomes_html():
    html = render("**Decision** on the *plan*:\n\n- first\n- second\n\n[Site](https://example.org)")
    assert "<strong>Decision</strong>" in html and "<em>plan</em>" in html
    assert "<ul>\n<li>first</li>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">Site</a>' in html


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("Hello <script>alert('x')</script>", "script"),
        ("Hello <script>alert('x')</script>", "alert"),
        ('<p style="position:fixed">cover</p>', "style"),
        ("<style>body{display:none}</style>", "display"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="#" onclick="steal()">x</a>', "onclick"),
        ("[click](javascript:alert(1))", "javascript"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ("[data](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<form action="https://evil.example"><button>Go</button></form>', "<form"),
    ],
)
def test_dangerous_html_is_removed(text, forbidden):
    assert forbidden not in render(text).lower()


def test_only_web_and_mail_links_are_kept():
    html = render(
        "[web](http://example.org) [secure](https://example.org) [mail](mailto:chair@example.org) [rel](/admin/)"
    )
    assert 'href="http://example.org"' in html
    assert 'href="https://example.org"' in html
    assert 'href="mailto:chair@example.org"' in html
    assert 'href="/admin/"' not in html


def test_headings_start_below_the_pages_own():
    html = render("# Background\n\n## Details")
    assert "<h3>Background</h3>" in html and "<h4>Details</h4>" in html
    assert "<h1>" not in html and "<h2>" not in html


def test_tables_keep_their_headers():
    html = render("| Administration | Answer |\n|---|---|\n| FOD | yes |")
    assert '<th scope="col">Administration</th>' in html
    assert "<td>FOD</td>" in html


def test_text_is_escaped_not_interpreted():
    assert "&lt;b&gt;" in render("Use `<b>` for bold") or "<code>&lt;b&gt;</code>" in render(
        "Use `<b>` for bold"
    )


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
    assert render("") == ""



def test_the_reused_converter_forgets_each_text():
    """One Markdown converter per thread is reset before each text: nothing of one text (a
    reference link, a list) leaks into the next, and a text renders the same each time."""
    from meetings.templatetags.meetings_tags import _rendered, render_markdown

    _rendered.cache_clear()
    defines = render_markdown("1. one\n2. two\n\n[ref]: https://example.org/ref\n\nSee [the note][ref].")
    assert 'href="https://example.org/ref"' in defines and "<ol>" in defines
    uses = render_markdown("See [the note][ref] again.")
    assert "example.org" not in uses and "[the note][ref]" in uses
    table = "| a | b |\n|---|---|\n| 1 | 2 |"
    first = render_markdown(table)
    _rendered.cache_clear()
    assert render_markdown(table) == first and "<td>2</td>" in first
