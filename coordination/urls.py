from django.contrib import admin
from django.urls import include, path

from coordination import views
from members import views as member_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("language/", member_views.set_language, name="set-language"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
