"""German: a comma after the weekday and a full stop after the day."""

DATE_FORMAT = "l, j. F Y"  # Dienstag, 22. Dezember 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "l, j. F Y, H:i"  # Dienstag, 22. Dezember 2026, 14:30
SHORT_DATE_FORMAT = "d.m.Y"  # 22.12.2026
SHORT_DATETIME_FORMAT = "d.m.Y H:i"  # 22.12.2026 14:30
