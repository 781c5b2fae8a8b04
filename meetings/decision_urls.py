"""The decisions register, under /decisions/ (namespace "decisions")."""

from django.urls import path

from meetings.views import decisions

app_name = "decisions"

urlpatterns = [
    path("", decisions.register, name="register"),
]
