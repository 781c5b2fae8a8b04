"""A link sent by email that does not work (made up, expired, used, withdrawn): its page.

Each app names its problems (an enum) and their texts ({problem: (title, text)}) and renders
them with its own template; the page is in the language of whom the link was sent to.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation


def link_problem_response(
    request: HttpRequest,
    template: str,
    *,
    problem: str,
    texts: dict,
    language: str,
    unknown: bool,
    context: dict | None = None,
) -> HttpResponse:
    """The page of a link that does not work, rendered in `language` with `texts[problem]`.

    404 for a link we do not know (`unknown`), 410 (Gone) for one that worked once.
    """
    title, text = texts[problem]
    with translation.override(language):
        full = {**(context or {}), "problem": problem, "title": str(title), "text": str(text)}
        response = render(request, template, full, status=404 if unknown else 410)
    response["Content-Language"] = language
    return response
