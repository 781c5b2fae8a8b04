"""The meeting pack and the minutes as PDF, mounted at /meetings/."""

from django.urls import path

from meetings.views import packs

app_name = "packs"

urlpatterns = [
    path("<int:pk>/pack/", packs.pack_status, name="status"),
    path("<int:pk>/pack/status.json", packs.pack_status_json, name="status-json"),
    path("<int:pk>/pack.pdf", packs.pack_pdf, name="pack-pdf"),
    path("<int:pk>/minutes.pdf", packs.minutes_pdf, name="minutes-pdf"),
]
