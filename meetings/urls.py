from django.urls import path

from meetings import calendar_views, overview_views, rsvp_views, views

app_name = "meetings"

urlpatterns: list = [
    # Meetings, agendas, documents and invitees (meetings/views.py)
    path("", views.meeting_list, name="list"),
    path("calendar/<int:year>/<int:month>/", views.meeting_month, name="month"),
    path("past/", views.meeting_past, name="past"),
    path("new/<slug:group_slug>/", views.meeting_create, name="create"),
    path("series/new/<slug:group_slug>/", views.series_create, name="series-create"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("<int:pk>/agenda/", views.agenda, name="agenda"),
    path("<int:pk>/agenda/<int:item_pk>/edit/", views.agenda_item_edit, name="agenda-item-edit"),
    path("<int:pk>/agenda/<int:item_pk>/remove/", views.agenda_item_remove, name="agenda-item-remove"),
    path("<int:pk>/agenda/<int:item_pk>/move/", views.agenda_item_move, name="agenda-item-move"),
    path("<int:pk>/documents/upload/", views.document_upload, name="document-upload"),
    path("documents/<int:file_pk>/download/", views.document_download, name="document-download"),
    path("<int:pk>/invitees/", views.invitees, name="invitees"),
    path("<int:pk>/invitees/add/", views.invitee_add, name="invitee-add"),
    path("<int:pk>/invitees/<int:invitation_pk>/remove/", views.invitee_remove, name="invitee-remove"),
    path("<int:pk>/circulate/", views.circulate, name="circulate"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    # Calendar files (meetings/calendar_views.py)
    path("<int:pk>/calendar.ics", calendar_views.meeting_ics, name="meeting-ics"),
    path("calendar/<str:token>.ics", calendar_views.member_feed, name="member-feed"),
    path("groups/<slug:slug>/calendar/<str:token>.ics", calendar_views.group_feed, name="group-feed"),
    # Overview, attendance, statistics (meetings/overview_views.py)
    path("<int:pk>/answers/", overview_views.answers, name="answers"),
    path("<int:pk>/answers/remind/", overview_views.answers_remind, name="answers-remind"),
    path("<int:pk>/attendance/", overview_views.attendance, name="attendance"),
    path("<int:pk>/attendance/print/", overview_views.attendance_print, name="attendance-print"),
    path("statistics/", overview_views.statistics, name="statistics"),
    path("my/", overview_views.my_meetings, name="my-meetings"),
    # Answers (meetings/rsvp_views.py)
    path("answer/<str:token>/", rsvp_views.answer, name="answer"),
    path("<int:pk>/answer/", rsvp_views.answer_web, name="answer-web"),
    path("<int:pk>/invitations/<int:invitation_pk>/answer/", rsvp_views.answer_for, name="answer-for"),
]
