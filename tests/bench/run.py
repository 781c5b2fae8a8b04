"""The bench run: database, data, server, measurements, report. See tests/bench/__init__.py.

    python -m tests.bench [--app-dir DIR] [--wrk-seconds 6] [--samples 30] [--name before.md]

--app-dir measures another checkout of the code (a git worktree, e.g. the code as it was before
a change): this package is linked into it and the run continues there, so that both the
in-process measures and gunicorn use that code; the report still goes to this checkout's var/bench/.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DB_NAME = os.environ.get("BENCH_DB_NAME", "concerto_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--app-dir", default=os.environ.get("BENCH_APP_DIR", ""), help="the code to measure")
    parser.add_argument("--wrk-seconds", type=int, default=6)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--name", default="", help="report file name under var/bench/ (default: the time)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8765")))
    parser.add_argument("--keep-db", action="store_true", help="leave the database for a look afterwards")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    repo = HERE.parent.parent
    report_dir = Path(os.environ.get("BENCH_REPORT_DIR", repo / "var" / "bench"))
    if os.environ.get("BENCH_CONTINUED"):
        return Bench(args, Path.cwd().resolve(), report_dir).run()
    if args.app_dir and Path(args.app_dir).resolve() != repo:
        return _continue_in(Path(args.app_dir).resolve(), argv, report_dir)
    return Bench(args, repo, report_dir).run()


def _continue_in(app_dir: Path, argv: list[str], report_dir: Path) -> int:
    """Run this bench against the code in `app_dir`: link tests/bench there and run from there."""
    target = app_dir / "tests" / "bench"
    if target.is_symlink() or not target.exists():
        if target.is_symlink():
            target.unlink()
        target.symlink_to(HERE, target_is_directory=True)
    # Translations as `make setup` compiles them (a fresh worktree has only the .po files).
    subprocess.run([sys.executable, "manage.py", "compilemessages", "--ignore=.venv", "--verbosity", "0"],
                   cwd=app_dir, check=True)
    env = {**os.environ, "BENCH_REPORT_DIR": str(report_dir), "PYTHONPATH": str(app_dir), "BENCH_CONTINUED": "1"}
    return subprocess.call([sys.executable, "-m", "tests.bench", *argv], cwd=app_dir, env=env)


def vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def wait_idle(pids: list[int], limit: float = 90) -> None:
    """Until the processes use (almost) no CPU for half a second, at most `limit` seconds."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        before = cpu_ticks(pids)
        time.sleep(0.5)
        if cpu_ticks(pids) - before <= 2:
            return


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Bench:
    def __init__(self, args: argparse.Namespace, app_dir: Path, report_dir: Path) -> None:
        self.args = args
        self.app_dir = app_dir
        self.report_dir = report_dir
        self.tmp = Path(tempfile.mkdtemp(prefix="concerto-bench-"))
        self.url = f"http://127.0.0.1:{args.port}"
        self.env = {
            "DEBUG": "",
            "SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
            "SITE_URL": self.url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "0",  # as behind a TLS-terminating proxy: plain HTTP on loopback
            "VAR_DIR": str(self.tmp / "var"),
            "STATIC_ROOT": str(self.tmp / "static"),
            "MEDIA_ROOT": str(self.tmp / "media"),
            "EMAIL_PROVIDER": "file",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "DATABASE_CONN_MAX_AGE": "60",
            "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
            "LOG_LEVEL": "WARNING",
        }
        self.results: dict = {"pages": {}, "notes": [], "memory": {}, "first_requests": {}}

    # --- setup ------------------------------------------------------------------------------

    def run(self) -> int:
        started = time.perf_counter()
        self.results["started"] = f"{datetime.now():%Y-%m-%d %H:%M}"
        self.results["load_before"] = tuple(round(x, 2) for x in os.getloadavg())
        self.results["cpus"] = os.cpu_count()
        self.results["app_dir"] = str(self.app_dir)
        self.results["commit"] = subprocess.run(
            ["git", "-C", str(self.app_dir), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        self.results["samples"] = self.args.samples
        self.results["wrk"] = f"-t2 -c8 -d{self.args.wrk_seconds}s"
        os.environ.update(self.env)
        import django

        django.setup()
        self.create_database()
        try:
            self.prepare()
            self.measure_in_process()
            self.measure_over_http()
            self.measure_circulation()
        finally:
            from django.db import connections

            connections.close_all()
            if not self.args.keep_db:
                self.drop_database()
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.results["load_after"] = tuple(round(x, 2) for x in os.getloadavg())
        self.results["total_s"] = time.perf_counter() - started
        from tests.bench import report

        path = report.write(self.results, self.report_dir, self.args.name or None)
        failed = 0
        for verdict in report.verdicts(self.results):
            print(f"{verdict.word}  {verdict.target}: {verdict.measured} (target {verdict.rule})")
            failed += not verdict.ok
        print(f"Report: {path}")
        return 1 if failed else 0

    def _admin_sql(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def create_database(self) -> None:
        self._admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", f"CREATE DATABASE {DB_NAME}")

    def drop_database(self) -> None:
        self._admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    def prepare(self) -> None:
        from django.core.management import call_command

        from tests.bench import data

        t = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        self.results["migrate_s"] = time.perf_counter() - t
        t = time.perf_counter()
        self.scenario = data.generate(data.FULL)
        self.extra = data.add_minutes_and_commitments(self.scenario)
        self.results["generation_s"] = time.perf_counter() - t
        # As an installation's tables are once autovacuum has been by: otherwise it comes during
        # the measures (300,000 new rows), and the pages it reads from slow down at random.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        self.results["sizes"] = {label.split(".")[1]: n for label, n in self.scenario.counts.items()}
        print(f"Data: {self.results['sizes']} in {self.results['generation_s']:.1f} s", flush=True)
        t = time.perf_counter()
        call_command("collectstatic", interactive=False, verbosity=0)
        self.results["collectstatic_s"] = time.perf_counter() - t
        self.sessions = {}
        from django.test import Client

        for key, user_id in (("chair", self.scenario.chair_user), ("busy", self.scenario.busy_user),
                             ("small", self.scenario.small_user)):
            from members.models import User

            client = Client()
            client.force_login(User.objects.get(pk=user_id))
            self.sessions[key] = client.cookies["sessionid"].value
        self.pages = self.page_list()

    def page_list(self) -> dict[str, tuple[str, str | None]]:
        """name -> (path, session key or None)."""
        from django.urls import reverse

        from members.models import Group

        s = self.scenario
        plenary = Group.objects.get(slug=s.plenary_group)
        ics_meeting = s.light_meeting
        return {
            "floor": ("/bench-floor/", "chair"),
            "start page": (reverse("home"), "chair"),
            "meeting 20 items": (reverse("meetings:detail", args=[s.light_meeting]), "chair"),
            "meeting 40 items": (reverse("meetings:detail", args=[s.heavy_meeting]), "chair"),
            "answers overview": (reverse("meetings:answers", args=[s.heavy_meeting]), "chair"),
            "attendance": (reverse("meetings:attendance", args=[s.heavy_meeting]), "chair"),
            "my meetings (175 upcoming)": (reverse("meetings:my-meetings"), "busy"),
            "my meetings (fewer upcoming)": (reverse("meetings:my-meetings"), "small"),
            "directory": (reverse("members:directory"), "chair"),
            "directory, filtered": (reverse("members:directory") + f"?group={plenary.pk}&role=member&q=an", "chair"),
            "member feed (100 meetings)": (reverse("meetings:member-feed", args=[s.small_token]), None),
            "group feed 100": (reverse("meetings:group-feed", args=[s.small_group, s.small_token]), None),
            "group feed 2000": (reverse("meetings:group-feed", args=[s.big_group, s.busy_token]), None),
            "group feed 2000, If-None-Match": (reverse("meetings:group-feed", args=[s.big_group, s.busy_token]), None),
            "one .ics": (reverse("meetings:meeting-ics", args=[ics_meeting]), "chair"),
            "minutes": (reverse("minutes:detail", args=[self.extra["minutes_meeting"]]), "chair"),
            "commitments tracker": (reverse("tracker:list"), "chair"),
        }

    # --- in-process: queries ----------------------------------------------------------------

    def measure_in_process(self) -> None:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        self.etags = {}
        for name, (path, session) in self.pages.items():
            client = Client()
            if session:
                client.cookies["sessionid"] = self.sessions[session]
            headers = {}
            if name.endswith("If-None-Match"):
                headers["If-None-Match"] = self.etags.get("group feed 2000", '"none"')
            client.get(path, headers=headers)  # warm the process
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path, headers=headers)
            body = b"".join(response) if response.streaming else response.content
            self.results["pages"][name] = {"status": response.status_code, "bytes": len(body), "queries": len(queries)}
            if response.has_header("ETag"):
                self.etags[name] = response["ETag"]
            if response.status_code not in (200, 304):
                self.results["notes"].append(f"{name}: {path} answered {response.status_code} in-process")
        self.results["icalendar_floor_ms"] = self.icalendar_floor()
        self.results["group_feed_cold_ms"] = self.group_feed_cold()

    def group_feed_cold(self) -> float | None:
        """The group feed of 2,000 meetings with none of its events kept, as a worker's first
        request for it: in this process (beside the icalendar-only floor), median of 3."""
        from django.test import Client

        try:
            from meetings.calendar import event_cache
        except ImportError:  # code that keeps no events: every request is a first one
            return None
        client, times = Client(), []
        for _ in range(3):
            event_cache.clear()
            t = time.perf_counter()
            response = client.get(self.pages["group feed 2000"][0])
            _body = b"".join(response) if response.streaming else response.content
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times)

    def icalendar_floor(self) -> float:
        """The group feed's 2,000 events built with icalendar alone from plain Python values."""
        from datetime import UTC, timedelta

        from icalendar import Calendar, Event, vCalAddress

        from meetings.models import AgendaItem, Meeting
        from members.models import Group

        group = Group.objects.get(slug=self.scenario.big_group)
        meetings = list(
            Meeting.objects.filter(group=group).exclude(status="draft").values(
                "pk", "title_nl", "description_nl", "starts_at", "ends_at", "location", "online_url", "sequence",
                "created_at", "updated_at", "status",
            )
        )
        agenda: dict[int, list[str]] = {}
        for meeting_id, title in AgendaItem.objects.filter(meeting__group=group).values_list("meeting_id", "title_nl"):
            agenda.setdefault(meeting_id, []).append(title)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            calendar = Calendar()
            calendar.add("PRODID", "-//Concerto//bench//EN")
            calendar.add("VERSION", "2.0")
            calendar.add("X-WR-CALNAME", "Concerto – Werkgroep 0")
            for m in meetings:
                event = Event()
                event.add("UID", f"meeting-{m['pk']}@127.0.0.1")
                event.add("SEQUENCE", m["sequence"])
                event.add("DTSTAMP", m["updated_at"].astimezone(UTC))
                event.add("CREATED", m["created_at"].astimezone(UTC))
                event.add("LAST-MODIFIED", m["updated_at"].astimezone(UTC))
                event.add("DTSTART", m["starts_at"])
                event.add("DTEND", m["ends_at"] or m["starts_at"] + timedelta(hours=2))
                event.add("SUMMARY", m["title_nl"])
                items = "\n".join(f"{i}. {title}" for i, title in enumerate(agenda.get(m["pk"], []), start=1))
                event.add("DESCRIPTION", f"{m['description_nl']}\n\nAgenda:\n{items}\n\n{self.url}/meetings/{m['pk']}/")
                if m["location"]:
                    event.add("LOCATION", m["location"])
                if m["online_url"]:
                    event.add("CONFERENCE", m["online_url"], parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
                event.add("URL", f"{self.url}/meetings/{m['pk']}/")
                organizer = vCalAddress("mailto:agenda@127.0.0.1")
                organizer.params["CN"] = "Werkgroep 0"
                event.add("ORGANIZER", organizer)
                event.add("STATUS", "CANCELLED" if m["status"] == "cancelled" else "CONFIRMED")
                event.add("TRANSP", "OPAQUE")
                calendar.add_component(event)
            calendar.to_ical()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times)

    # --- over HTTP: server time, throughput, memory ------------------------------------------

    def start_server(self) -> subprocess.Popen:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        env = {**os.environ, **self.env, "PYTHONPATH": str(self.app_dir)}
        log = open(self.tmp / "gunicorn.log", "w")  # noqa: SIM115
        server = subprocess.Popen(
            [str(gunicorn), "--workers", "4", "--worker-class", "sync", "--bind", f"127.0.0.1:{self.args.port}",
             "--chdir", str(self.app_dir), "--timeout", "120", "coordination.wsgi:application"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        import requests

        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code < 500:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            server.terminate()
            raise RuntimeError("gunicorn did not answer: " + (self.tmp / "gunicorn.log").read_text()[-2000:])
        return server

    def measure_over_http(self) -> None:
        import requests

        server = self.start_server()
        try:
            workers = children(server.pid)
            for name, (path, session) in self.pages.items():
                headers = {}
                if session:
                    headers["Cookie"] = f"sessionid={self.sessions[session]}"
                if name.endswith("If-None-Match"):
                    headers["If-None-Match"] = self.etags.get("group feed 2000", '"none"')
                with requests.Session() as http:
                    t = time.perf_counter()
                    response = http.get(self.url + path, headers=headers, allow_redirects=False)
                    first = (time.perf_counter() - t) * 1000
                    if "feed" in name or name.endswith(".ics"):
                        self.results["first_requests"][name] = first
                    for _ in range(2):
                        http.get(self.url + path, headers=headers, allow_redirects=False)
                    samples, budget = [], time.perf_counter() + 20
                    while len(samples) < self.args.samples and (len(samples) < 3 or time.perf_counter() < budget):
                        t = time.perf_counter()
                        response = http.get(self.url + path, headers=headers, allow_redirects=False)
                        samples.append((time.perf_counter() - t) * 1000)
                page = self.results["pages"].setdefault(name, {})
                page.update(status=response.status_code, median_ms=statistics.median(samples),
                            p95_ms=percentile(samples, 0.95), http_bytes=len(response.content))
                self.wrk_detail = ""
                if page["median_ms"] > 5000:
                    # wrk would see no request end within its run, and leave the workers a backlog.
                    page["rps"], self.wrk_detail = None, "skipped: over 5 s a request"
                else:
                    page["rps"] = self.wrk(path, headers)
                page["wrk"] = self.wrk_detail
                # Requests wrk left in flight still run in the sync workers: let them finish first.
                wait_idle(workers)
                print(f"{name}: {response.status_code} {page.get('queries')} q, {page['median_ms']:.1f} ms, "
                      f"{page['rps']} req/s", flush=True)
            peaks = [vm_hwm_kib(pid) or 0 for pid in workers]
            self.results["memory"]["gunicorn worker peak RSS (VmHWM), largest of 4"] = f"{max(peaks) / 1024:.0f} MiB"
            self.results["memory"]["gunicorn workers' VmHWM"] = ", ".join(f"{p / 1024:.0f} MiB" for p in peaks)
        finally:
            server.terminate()
            server.wait(timeout=30)

    def wrk(self, path: str, headers: dict) -> float | None:
        command = ["wrk", "-t2", "-c8", f"-d{self.args.wrk_seconds}s", "--timeout", "30s"]
        for key, value in headers.items():
            command += ["-H", f"{key}: {value}"]
        done = subprocess.run([*command, self.url + path], capture_output=True, text=True)
        match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
        if done.returncode or not match:
            self.results["notes"].append(f"wrk on {path}: {done.stderr.strip() or done.stdout.strip()[:200]}")
            return None
        if "Non-2xx or 3xx responses" in done.stdout:
            self.results["notes"].append(f"wrk on {path}: some answers were errors")
        count = re.search(r"(\d+) requests in", done.stdout)
        latency = re.search(r"Latency\s+(\S+)", done.stdout)
        self.wrk_detail = f"{count.group(1) if count else '?'} requests, mean latency {latency.group(1) if latency else '?'}"
        return float(match.group(1))

    # --- circulation and the task worker -------------------------------------------------------

    def measure_circulation(self) -> None:
        try:
            self.worker_circulation()
        except Exception as error:
            self.results["worker_circulation"] = {"error": f"{type(error).__name__}: {error}"}
        try:
            from tests.bench.circulation import measure_circulation
        except ImportError as error:
            self.results["circulation"] = {"error": f"not measured (tests.bench.circulation: {error})"}
            return
        import logging

        for name in ("django_tasks", "django_tasks_db", "django.tasks"):
            logging.getLogger(name).setLevel(logging.WARNING)  # one line per task otherwise
        try:
            result = measure_circulation(n=2000)
            self.results["circulation"] = dict(result)
        except Exception as error:
            self.results["circulation"] = {"error": f"not measured ({type(error).__name__}: {error})"}

    def worker_circulation(self) -> None:
        """The chair circulates the 300-invitee meeting; `manage.py run_worker` delivers to a loopback
        SMTP server; we time both and read the worker's peak memory."""
        from aiosmtpd.controller import Controller
        from django.test import Client

        from meetings.models import Invitation, Meeting
        from members.outbox import OutboundMessage
        from tests.smtp import free_port

        class Sink:
            def __init__(self) -> None:
                self.count = 0
                self.last = 0.0

            async def handle_DATA(self, server, session, envelope):
                self.count += 1
                self.last = time.perf_counter()
                return "250 OK"

        meeting = self.scenario.heavy_meeting
        Invitation.objects.filter(meeting_id=meeting).update(sent_sequence=None)
        Meeting.objects.filter(pk=meeting).update(circulated_at=None, status="draft")
        before = OutboundMessage.objects.count()
        sink = Sink()
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            client = Client()
            client.cookies["sessionid"] = self.sessions["chair"]
            from django.urls import reverse

            t0 = time.perf_counter()
            response = client.post(reverse("meetings:circulate", args=[meeting]))
            request_s = time.perf_counter() - t0
            env = {**os.environ, **self.env, "PYTHONPATH": str(self.app_dir), "EMAIL_PROVIDER": "smtp",
                   "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"],
                cwd=self.app_dir, env=env, stdout=subprocess.DEVNULL, stderr=open(self.tmp / "worker.log", "w"),  # noqa: SIM115
            )
            peak = 0
            expected = OutboundMessage.objects.count() - before
            deadline = time.perf_counter() + 240
            idle_since = None
            while time.perf_counter() < deadline:
                time.sleep(0.2)
                peak = max(peak, vm_hwm_kib(worker.pid) or 0)
                if expected and sink.count >= expected:
                    break
                # New code may queue its rows in the background: wait for them, then for the sink.
                queued = OutboundMessage.objects.count() - before
                if queued > expected:
                    expected, idle_since = queued, None
                elif sink.count and time.perf_counter() - sink.last > 15:
                    idle_since = idle_since or time.perf_counter()
                    break
            peak = max(peak, vm_hwm_kib(worker.pid) or 0)
            end = sink.last or time.perf_counter()
            worker.terminate()
            worker.wait(timeout=30)
        finally:
            controller.stop()
        total = end - t0
        self.results["worker_circulation"] = {
            "chair's request": f"{request_s:.2f} s (status {response.status_code})",
            "messages accepted by SMTP": f"{sink.count} of {expected} queued",
            "end to end": f"{total:.1f} s = {sink.count / total:.0f} msg/s" if total > 0 else "–",
        }
        self.results["memory"]["task worker peak RSS (VmHWM), run_worker during circulation"] = f"{peak / 1024:.0f} MiB"
