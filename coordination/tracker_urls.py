"""Addresses of the tracker, the dashboards and the plan import, under /commitments/ (namespace "tracker")."""

from django.urls import path

from coordination import dashboard_views, import_views, tracker_views

app_name = "tracker"

urlpatterns = [
    path("tracker/", tracker_views.tracker, name="list"),
    path("plans/<slug:slug>/dashboard/", dashboard_views.plan_dashboard, name="plan-dashboard"),
    path(
        "administrations/<int:pk>/dashboard/",
        dashboard_views.administration_dashboard,
        name="administration-dashboard",
    ),
    path("plans/<slug:slug>/import/", import_views.plan_import, name="plan-import"),
    path("import-template.<str:extension>", import_views.import_template, name="import-template"),
]
