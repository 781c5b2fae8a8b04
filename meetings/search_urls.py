from django.urls import path

app_name = "search"

urlpatterns: list = []

__all__ = ["path"]
