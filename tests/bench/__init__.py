"""`make bench`: Concerto at the size of a real installation, against its targets.

`python -m tests.bench` makes its own PostgreSQL database (concerto_bench), fills it in bulk
(tests/bench/data.py), serves it with gunicorn (4 sync workers, production settings plus the
floor view of tests/bench/urls.py), measures each key page (queries in-process; server time
and wrk throughput over HTTP), the feed against icalendar alone, circulation against plain
smtplib (tests/bench/circulation.py) and peak memory, then writes var/bench/<time>.md and
var/bench/latest.md. A target not met prints FAIL and the command exits 1.
"""
