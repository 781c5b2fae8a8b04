"""Addresses of the reporting round and follow-up pages, under /commitments/ (namespace "rounds")."""

from django.urls import path

from coordination import round_views

app_name = "rounds"

urlpatterns = [
    path("plans/<slug:slug>/rounds/", round_views.round_list, name="list"),
    path("plans/<slug:slug>/rounds/open/", round_views.round_open, name="open"),
    path("rounds/<int:pk>/", round_views.round_detail, name="detail"),
    path("rounds/<int:pk>/close/", round_views.round_close, name="close"),
    path("rounds/<int:pk>/compare/", round_views.round_compare, name="compare"),
    path("rounds/<int:pk>/follow-up/", round_views.follow_up_item, name="follow-up"),
    path("parts/<int:pk>/no-change/", round_views.no_change, name="no-change"),
    path("overdue/", round_views.overdue, name="overdue"),
]
