"""Addresses of the plan and commitment pages, under /commitments/ (namespace "coordination")."""

from django.urls import path

from coordination import commitment_views, plan_views

app_name = "coordination"

urlpatterns = [
    path("", plan_views.plan_list, name="plan-list"),
    path("plans/new/", plan_views.plan_create, name="plan-create"),
    path("plans/<slug:slug>/", plan_views.plan_detail, name="plan-detail"),
    path("plans/<slug:slug>/edit/", plan_views.plan_edit, name="plan-edit"),
    path("plans/<slug:slug>/editions/new/", plan_views.edition_create, name="edition-create"),
    path(
        "plans/<slug:slug>/editions/<int:edition_pk>/chapters/new/",
        plan_views.chapter_create,
        name="chapter-create",
    ),
    path(
        "plans/<slug:slug>/editions/<int:edition_pk>/commitments/new/",
        commitment_views.commitment_create,
        name="commitment-create",
    ),
    path("<int:pk>/", commitment_views.commitment_detail, name="commitment-detail"),
    path("<int:pk>/edit/", commitment_views.commitment_edit, name="commitment-edit"),
    path("<int:pk>/parts/new/", commitment_views.part_create, name="part-create"),
    path("<int:pk>/milestones/new/", commitment_views.milestone_create, name="milestone-create"),
    path("<int:pk>/indicators/new/", commitment_views.indicator_create, name="indicator-create"),
    path("milestones/<int:pk>/edit/", commitment_views.milestone_edit, name="milestone-edit"),
    path("indicators/<int:pk>/edit/", commitment_views.indicator_edit, name="indicator-edit"),
    path("parts/<int:pk>/edit/", commitment_views.part_edit, name="part-edit"),
    path("parts/<int:pk>/remove/", commitment_views.part_remove, name="part-remove"),
    path("parts/<int:pk>/update/", commitment_views.update_create, name="update-create"),
    path("evidence/<int:pk>/", commitment_views.evidence_download, name="evidence-download"),
]
