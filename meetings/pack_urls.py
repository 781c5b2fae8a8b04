from django.urls import path

app_name = "packs"

urlpatterns: list = []

__all__ = ["path"]
