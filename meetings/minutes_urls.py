from django.urls import path

app_name = "minutes"

urlpatterns: list = []

__all__ = ["path"]
