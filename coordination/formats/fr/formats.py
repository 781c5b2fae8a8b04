"""French: weekday and month in lower case, no comma after the weekday."""

DATE_FORMAT = "l j F Y"  # mardi 22 décembre 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "l j F Y, H:i"  # mardi 22 décembre 2026, 14:30
SHORT_DATE_FORMAT = "d/m/Y"  # 22/12/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 22/12/2026 14:30
