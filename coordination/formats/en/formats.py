"""English as read in Belgium: day before month, a 24-hour clock, weeks that start on Monday."""

DATE_FORMAT = "l j F Y"  # Tuesday 22 December 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "l j F Y, H:i"  # Tuesday 22 December 2026, 14:30
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "j F"  # 22 December
SHORT_DATE_FORMAT = "d/m/Y"  # 22/12/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 22/12/2026 14:30
FIRST_DAY_OF_WEEK = 1
