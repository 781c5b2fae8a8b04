from django.urls import path

from meetings.views import agenda, answers, attendance, calendar, invitees, meetings, rsvp, statistics

app_name = "meetings"

urlpatterns: list = [
    # Meetings: lists, calendar, a meeting's page, scheduling, circulating (meetings/views/meetings.py)
    path("", meetings.meeting_list, name="list"),
    path("calendar/<int:year>/<int:month>/", meetings.meeting_month, name="month"),
    path("past/", meetings.meeting_past, name="past"),
    path("new/<slug:group_slug>/", meetings.meeting_create, name="create"),
    path("series/new/<slug:group_slug>/", meetings.series_create, name="series-create"),
    path("<int:pk>/", meetings.meeting_detail, name="detail"),
    path("<int:pk>/edit/", meetings.meeting_edit, name="edit"),
    path("<int:pk>/circulate/", meetings.circulate, name="circulate"),
    path("<int:pk>/cancel/", meetings.cancel, name="cancel"),
    # Agenda and documents (meetings/views/agenda.py)
    path("<int:pk>/agenda/", agenda.agenda, name="agenda"),
    path("<int:pk>/agenda/<int:item_pk>/edit/", agenda.agenda_item_edit, name="agenda-item-edit"),
    path("<int:pk>/agenda/<int:item_pk>/remove/", agenda.agenda_item_remove, name="agenda-item-remove"),
    path("<int:pk>/agenda/<int:item_pk>/move/", agenda.agenda_item_move, name="agenda-item-move"),
    path("<int:pk>/documents/upload/", agenda.document_upload, name="document-upload"),
    path("documents/<int:file_pk>/download/", agenda.document_download, name="document-download"),
    # Invitees (meetings/views/invitees.py)
    path("<int:pk>/invitees/", invitees.invitees, name="invitees"),
    path("<int:pk>/invitees/add/", invitees.invitee_add, name="invitee-add"),
    path("<int:pk>/invitees/<int:invitation_pk>/remove/", invitees.invitee_remove, name="invitee-remove"),
    # Calendar files (meetings/views/calendar.py)
    path("<int:pk>/calendar.ics", calendar.meeting_ics, name="meeting-ics"),
    path("calendar/<str:token>.ics", calendar.member_feed, name="member-feed"),
    path("groups/<slug:slug>/calendar/<str:token>.ics", calendar.group_feed, name="group-feed"),
    # The Answers page (meetings/views/answers.py)
    path("<int:pk>/answers/", answers.answers, name="answers"),
    path("<int:pk>/answers/remind/", answers.answers_remind, name="answers-remind"),
    # Attendance (meetings/views/attendance.py)
    path("<int:pk>/attendance/", attendance.attendance, name="attendance"),
    path("<int:pk>/attendance/print/", attendance.attendance_print, name="attendance-print"),
    # Statistics (meetings/views/statistics.py)
    path("statistics/", statistics.statistics, name="statistics"),
    # Answering: my meetings, the one-click link, the meeting page's form (meetings/views/rsvp.py)
    path("my/", rsvp.my_meetings, name="my-meetings"),
    path("answer/<str:token>/", rsvp.answer, name="answer"),
    path("<int:pk>/answer/", rsvp.answer_web, name="answer-web"),
    path("<int:pk>/invitations/<int:invitation_pk>/answer/", rsvp.answer_for, name="answer-for"),
]
