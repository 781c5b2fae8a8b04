"""The public page of an action plan opened to the public, under /plans/ (namespace "public-plans")."""

from django.urls import path

from coordination import tracker_views

app_name = "public-plans"

urlpatterns = [path("<slug:slug>/", tracker_views.public_plan, name="detail")]
