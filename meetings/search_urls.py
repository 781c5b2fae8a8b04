from django.urls import path

from meetings.views import search

app_name = "search"

urlpatterns: list = [
    path("", search.results, name="results"),
]
