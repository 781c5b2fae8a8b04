from django.contrib import admin
from django.urls import include, path

from coordination import public_views, views
from members import views as member_views
from members import webhooks

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("language/", member_views.set_language, name="set-language"),
    path("my-data.json", views.my_data, name="my-data"),
    path(
        "groups/<slug:slug>/",
        include(
            (
                [
                    path("", public_views.group_public, name="group"),
                    path("documents/<int:pk>/", public_views.group_document, name="group-document"),
                ],
                "public",
            )
        ),
    ),
    path("accounts/", include("allauth.urls")),
    path("members/", include("members.urls")),
    path("meetings/", include("meetings.urls")),
    path("meetings/", include("meetings.minutes_urls")),
    path("meetings/", include("meetings.pack_urls")),
    path("decisions/", include("meetings.decision_urls")),
    path("search/", include("meetings.search_urls")),
    path("commitments/", include("coordination.commitment_urls")),
    path("commitments/", include("coordination.round_urls")),
    path("commitments/", include("coordination.tracker_urls")),
    path("plans/", include("coordination.public_plan_urls")),
    # The configured provider's webhooks (delivery tracking, inbound calendar answers),
    # authenticated by ANYMAIL_WEBHOOK_SECRET; other providers' addresses are 404.
    path("anymail/", include((webhooks.provider_urlpatterns(), "anymail"))),
    path("admin/", admin.site.urls),
]
