# The unaccent extension, for search that ignores accents (meetings.search). Nothing on SQLite.
# Creating an extension needs a role allowed to: a superuser, or the database owner on
# PostgreSQL 13+ (unaccent is a trusted extension).

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0005_minutes"),
    ]

    operations = [
        UnaccentExtension(),
    ]
