"""The minutes of a meeting (meetings/views/minutes.py), mounted under /meetings/."""

from django.urls import path

from meetings.views import minutes

app_name = "minutes"

urlpatterns: list = [
    path("<int:pk>/minutes/", minutes.minutes_detail, name="detail"),
    path("<int:pk>/minutes/start/", minutes.minutes_start, name="start"),
    path("<int:pk>/minutes/edit/", minutes.minutes_edit, name="edit"),
    path("<int:pk>/minutes/items/add/", minutes.item_add, name="item-add"),
    path("<int:pk>/minutes/items/<int:item_pk>/edit/", minutes.item_edit, name="item-edit"),
    path("<int:pk>/minutes/items/<int:item_pk>/remove/", minutes.item_remove, name="item-remove"),
    path("<int:pk>/minutes/send/", minutes.send_for_comments, name="send"),
    path("<int:pk>/minutes/comments/", minutes.comment_add, name="comment-add"),
    path("<int:pk>/minutes/comments/<int:comment_pk>/settle/", minutes.comment_settle, name="comment-settle"),
    path("<int:pk>/minutes/approve/", minutes.approve, name="approve"),
    path("<int:pk>/minutes/publish/", minutes.publish, name="publish"),
    path("<int:pk>/minutes/versions/", minutes.versions, name="versions"),
    path("<int:pk>/minutes/versions/<int:a>/<int:b>/", minutes.version_diff, name="diff"),
]
