"""The coordination module's parts: events (RSVP, calendars, iCalendar, reminders), kits (field-action
materials) and campaigns (sectors, shifts, assignments, field reports, dashboard)."""
