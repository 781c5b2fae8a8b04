"""Concerto's addresses plus /bench-floor/: the floor every page is compared with.

The floor is what any signed-in page costs at least: the same middleware, the site's base
template with its navigation, and one query (the member, as member_required loads it).
"""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from coordination.urls import urlpatterns as concerto_urlpatterns
from members.access import member_required

FLOOR_TEMPLATE = """{% extends "base.html" %}{% load i18n %}
{% block title %}Floor{% endblock title %}
{% block content %}<h1>{{ member.user.name }}</h1><p>{{ member.administration.acronym|default:"-" }}</p>{% endblock content %}"""

_template = None


@member_required
def floor(request: HttpRequest) -> HttpResponse:
    global _template
    if _template is None:
        _template = engines["django"].from_string(FLOOR_TEMPLATE)
    return HttpResponse(_template.render({"member": request.member}, request))


urlpatterns = [*concerto_urlpatterns, path("bench-floor/", floor, name="bench-floor")]
