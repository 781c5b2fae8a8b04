from django.urls import path

app_name = "decisions"

urlpatterns: list = []

__all__ = ["path"]
