"""The bench's targets (the performance issue's table) and its Markdown report.

`results` is a plain dict (see run.py): pages -> {status, bytes, queries, median_ms, p95_ms,
rps, ...}, plus floors, circulation, memory, sizes and timings. Every target is judged here,
PASS or FAIL; a figure that could not be measured FAILs with the reason.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass
class Verdict:
    target: str
    rule: str
    measured: str
    ok: bool

    @property
    def word(self) -> str:
        return "PASS" if self.ok else "FAIL"


def _page(results: dict, name: str) -> dict:
    return results.get("pages", {}).get(name) or {}


def _num(value) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def circulation_rates(circulation: dict) -> tuple[float | None, float | None]:
    """(end-to-end msg/s, plain smtplib msg/s) from measure_circulation's dict, whatever its key names."""
    end_to_end = _num(circulation.get("end_to_end_msg_per_s"))
    smtplib = _num(circulation.get("plain_smtplib_msg_per_s"))
    for key, value in circulation.items():
        name = key.lower()
        if _num(value) is None or not ("msg" in name or "rate" in name or "per_s" in name):
            continue
        if "smtplib" in name or "plain" in name or "baseline" in name:
            smtplib = smtplib if smtplib is not None else value
        elif "end" in name or "e2e" in name or "concerto" in name:
            end_to_end = end_to_end if end_to_end is not None else value
    return end_to_end, smtplib


def verdicts(results: dict) -> list[Verdict]:
    out = []
    floor_rps = _num(_page(results, "floor").get("rps"))
    for name, label in (("meeting 40 items", "meeting page, 40 items, 300 invitees"), ("meeting 20 items", "meeting page, 20 items")):
        rps = _num(_page(results, name).get("rps"))
        if rps is None or not floor_rps:
            out.append(Verdict(label, ">= 40 % of the floor's req/s", "not measured", False))
        else:
            share = rps / floor_rps
            out.append(Verdict(label, ">= 40 % of the floor's req/s", f"{rps:.1f} req/s = {share:.0%} of {floor_rps:.1f}", share >= 0.40))

    ical = _num(results.get("icalendar_floor_ms"))
    # The first request for a feed in a worker writes every event; later ones join kept events.
    # Without a cold measure (code that keeps no events), every request is a first one.
    cold, kept = _num(results.get("group_feed_cold_ms")), _num(_page(results, "group feed 2000").get("median_ms"))
    first = kept if cold is None else cold
    if ical is None or first is None:
        out.append(Verdict("group feed, 2,000 meetings, first request", "<= 1.5x icalendar alone", "not measured", False))
    else:
        measured = f"{first:.0f} ms = {first / ical:.2f}x of {ical:.0f} ms"
        if cold is not None and kept is not None:
            measured += f" (no event kept; with its events kept: {kept:.0f} ms)"
        out.append(Verdict("group feed, 2,000 meetings, first request", "<= 1.5x icalendar alone",
                           measured, first <= 1.5 * ical))

    repeat = _page(results, "group feed 2000, If-None-Match")
    median = _num(repeat.get("median_ms"))
    if median is None:
        out.append(Verdict("the same feed, repeated (If-None-Match)", "304 in <= 20 ms", "not measured", False))
    else:
        status = repeat.get("status")
        out.append(Verdict("the same feed, repeated (If-None-Match)", "304 in <= 20 ms",
                           f"{status} in {median:.1f} ms", status == 304 and median <= 20))

    queries = _num(_page(results, "one .ics").get("queries"))
    out.append(Verdict("one meeting .ics", "<= 4 queries", "not measured" if queries is None else f"{queries} queries",
                       queries is not None and queries <= 4))

    circulation = results.get("circulation") or {}
    end_to_end, smtplib = circulation_rates(circulation)
    if end_to_end is None or not smtplib:
        reason = circulation.get("error") or "not measured"
        out.append(Verdict("circulating to 2,000 invitees, end to end", ">= 50 % of plain smtplib", reason, False))
    else:
        share = end_to_end / smtplib
        out.append(Verdict("circulating to 2,000 invitees, end to end", ">= 50 % of plain smtplib",
                           f"{end_to_end:.0f} msg/s = {share:.0%} of {smtplib:.0f}", share >= 0.50))

    busy, few = _page(results, "my meetings (175 upcoming)"), _page(results, "my meetings (fewer upcoming)")
    if _num(busy.get("bytes")) is None or _num(few.get("bytes")) is None or _num(busy.get("median_ms")) is None:
        out.append(Verdict('"My meetings", 175 upcoming', "constant in data size", "not measured", False))
    else:
        size_ratio = busy["bytes"] / max(1, few["bytes"])
        time_ratio = busy["median_ms"] / max(0.1, few["median_ms"])
        ok = size_ratio <= 1.25 and busy["median_ms"] <= 1.5 * few["median_ms"] + 5 and busy.get("queries") == few.get("queries")
        out.append(Verdict('"My meetings", 175 upcoming', "constant in data size (vs a member with fewer: bytes <= 1.25x, "
                           "time <= 1.5x + 5 ms, same queries)",
                           f"{busy['bytes'] / 1024:.0f} KB, {busy['median_ms']:.0f} ms, {busy.get('queries')} q vs "
                           f"{few['bytes'] / 1024:.0f} KB, {few['median_ms']:.0f} ms, {few.get('queries')} q "
                           f"({size_ratio:.2f}x bytes, {time_ratio:.2f}x time)", ok))

    attendance = _num(_page(results, "attendance").get("median_ms"))
    out.append(Verdict("attendance page, 300 invitees", "<= 150 ms",
                       "not measured" if attendance is None else f"{attendance:.0f} ms", attendance is not None and attendance <= 150))
    return out


def _fmt(value, pattern="{:.1f}") -> str:
    return "–" if _num(value) is None else pattern.format(value)


def markdown(results: dict) -> str:
    lines = [f"# Concerto bench, {results.get('started', '')}", ""]
    lines += [
        f"- Code: `{results.get('app_dir', '')}` at `{results.get('commit', '?')}`",
        f"- Data: {results.get('sizes', {})}",
        f"- Data generation: {_fmt(results.get('generation_s'))} s (migrate {_fmt(results.get('migrate_s'))} s, "
        f"collectstatic {_fmt(results.get('collectstatic_s'))} s)",
        f"- Load average (1, 5, 15 min) before: {results.get('load_before')}, after: {results.get('load_after')} "
        f"on {results.get('cpus', '?')} CPUs (the machine is shared: read the times with this in mind)",
        f"- Server: gunicorn, 4 sync workers, 127.0.0.1, production settings (DEBUG off); wrk {results.get('wrk', '')}; "
        f"server time = median and p95 of {results.get('samples', '?')} sequential requests after warm-up",
        f"- Whole run: {_fmt(results.get('total_s'), '{:.0f}')} s",
        "",
        "## Targets",
        "",
        "| target | rule | measured | verdict |",
        "|---|---|---|---|",
    ]
    for v in verdicts(results):
        lines.append(f"| {v.target} | {v.rule} | {v.measured} | **{v.word}** |")
    floor = _page(results, "floor")
    floor_ms, floor_rps = _num(floor.get("median_ms")), _num(floor.get("rps"))
    ical = _num(results.get("icalendar_floor_ms"))
    lines += [
        "",
        "## Pages",
        "",
        f"Floor: a minimal signed-in page (same middleware, base template, one query). icalendar-only feed "
        f"floor (the same 2,000 events built from plain values and serialised): {_fmt(ical, '{:.0f}')} ms.",
        "",
        "| page | status | size | queries | median ms | p95 ms | x floor time | req/s | % of floor req/s | wrk |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, page in results.get("pages", {}).items():
        median, rps = _num(page.get("median_ms")), _num(page.get("rps"))
        ratio = f"{median / floor_ms:.1f}x" if median is not None and floor_ms else "–"
        if name == "group feed 2000" and ical and median is not None:
            ratio += f" ({median / ical:.2f}x icalendar)"
        share = f"{rps / floor_rps:.0%}" if rps is not None and floor_rps else "–"
        size = page.get("bytes")
        lines.append(
            f"| {name} | {page.get('status', '–')} | {_fmt(size / 1024 if _num(size) is not None else None, '{:.0f} KB')} | "
            f"{page.get('queries', '–')} | {_fmt(median)} | {_fmt(page.get('p95_ms'))} | {ratio} | {_fmt(rps)} | {share} | "
            f"{page.get('wrk', '')} |"
        )
    if results.get("first_requests"):
        lines += ["", "First (cold) request of each feed: " + ", ".join(
            f"{name} {ms:.0f} ms" for name, ms in results["first_requests"].items())]
    lines += ["", "## Circulation", ""]
    circulation = results.get("circulation") or {}
    if circulation:
        for key, value in circulation.items():
            lines.append(f"- {key}: {value}")
    else:
        lines.append("- not measured")
    worker = results.get("worker_circulation") or {}
    if worker:
        lines += ["", "Circulation of the 300-invitee meeting through the chair's request and `manage.py run_worker` "
                  "to a loopback SMTP server (the task worker's memory is read during it):", ""]
        for key, value in worker.items():
            lines.append(f"- {key}: {value}")
    lines += ["", "## Memory", ""]
    for key, value in (results.get("memory") or {}).items():
        lines.append(f"- {key}: {value}")
    if results.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(lines) + "\n"


def write(results: dict, directory: Path, name: str | None = None) -> Path:
    """The report as <directory>/<time>.md (or `name`) and latest.md; returns the first path."""
    directory.mkdir(parents=True, exist_ok=True)
    text = markdown(results)
    path = directory / (name or f"{datetime.now():%Y-%m-%d-%H%M%S}.md")
    path.write_text(text)
    (directory / "latest.md").write_text(text)
    # The figures themselves, to compare runs or redo the report.
    path.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
    return path
