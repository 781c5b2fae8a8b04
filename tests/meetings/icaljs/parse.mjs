// Reads an iCalendar file on stdin, parses it with ical.js and prints what it understood as JSON.
// Used by tests/meetings/test_calendar.py: a third, independent parser (Thunderbird's).
import ICAL from "ical.js";

let text = "";
for await (const chunk of process.stdin) text += chunk;

const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    location: event.location,
    status: component.getFirstPropertyValue("status"),
    tzid: event.startDate.zone.tzid,
    start_utc: event.startDate.toJSDate().toISOString(),
    end_utc: event.endDate.toJSDate().toISOString(),
    organizer: component.getFirstPropertyValue("organizer"),
    attendees: event.attendees.map((attendee) => ({
      address: attendee.getFirstValue(),
      partstat: attendee.getParameter("partstat"),
      rsvp: attendee.getParameter("rsvp") ?? null,
    })),
  };
});
process.stdout.write(
  JSON.stringify({
    method: calendar.getFirstPropertyValue("method"),
    timezones: calendar.getAllSubcomponents("vtimezone").map((zone) => zone.getFirstPropertyValue("tzid")),
    events,
  }),
);
