from django.urls import path

from members import directory_views, invitation_views, outbox_views, views

app_name = "members"

urlpatterns = [
    # Profile, privacy and groups (members/views.py)
    path("profile/", views.profile, name="profile"),
    path("profile/calendar-feed/regenerate/", views.feed_regenerate, name="feed-regenerate"),
    path("groups/", views.group_list, name="group-list"),
    path("groups/<slug:slug>/", views.group_detail, name="group-detail"),
    path("groups/<slug:slug>/history/", views.group_history, name="group-history"),
    path("groups/<slug:slug>/memberships/<int:pk>/role/", views.membership_change, name="membership-change"),
    path("groups/<slug:slug>/memberships/<int:pk>/end/", views.membership_end, name="membership-end"),
    path("groups/<slug:slug>/public-page/", views.public_page_edit, name="public-page-edit"),
    path("groups/<slug:slug>/public-page/links/", views.public_link_add, name="public-link-add"),
    path(
        "groups/<slug:slug>/public-page/links/<int:pk>/remove/",
        views.public_link_remove,
        name="public-link-remove",
    ),
    # Directory and administrations (members/directory_views.py)
    path("directory/", directory_views.directory, name="directory"),
    path("administrations/", directory_views.administration_list, name="administration-list"),
    path("administrations/<int:pk>/", directory_views.administration_detail, name="administration-detail"),
    # Invitations to join and bulk import (members/invitation_views.py)
    path("groups/<slug:slug>/invite/", invitation_views.group_invite, name="group-invite"),
    path("groups/<slug:slug>/import/", invitation_views.group_import, name="group-import"),
    path(
        "groups/<slug:slug>/import/template.xlsx",
        invitation_views.group_import_template,
        name="group-import-template",
    ),
    path("groups/<slug:slug>/invitations/", invitation_views.group_invitations, name="group-invitations"),
    path(
        "groups/<slug:slug>/invitations/<int:pk>/withdraw/",
        invitation_views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("join/<str:token>/", invitation_views.join, name="join"),
    # Outbox (members/outbox_views.py). Batch names may hold "/": status.json comes first.
    path("outbox/", outbox_views.outbox_list, name="outbox"),
    path("outbox/<path:batch>/status.json", outbox_views.outbox_batch_status, name="outbox-batch-status"),
    path("outbox/<path:batch>/", outbox_views.outbox_batch, name="outbox-batch"),
]
