from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    # Profile, privacy and groups (members/views.py)
    # Directory and administrations (members/directory_views.py)
    # Invitations to join and bulk import (members/invitation_views.py)
    # Outbox (members/outbox_views.py)
]
