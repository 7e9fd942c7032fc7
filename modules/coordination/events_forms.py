"""Forms of the events part. Every value is kept as typed (strings): events_service.validate() gives
one clear message per problem, and a refused form comes back exactly as it was sent."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.widgets import DateInput, DateTimeLocalInput, NumberInput

from .events_service import EventInput

KIND_LABELS = {
    "meeting": _l("Meeting"),
    "public_meeting": _l("Public meeting"),
    "door_to_door": _l("Door-to-door"),
    "leafleting": _l("Leafleting"),
    "phone_bank": _l("Phone bank"),
    "rally": _l("Rally"),
    "training": _l("Training"),
    "other": _l("Other"),
}
REPEAT_LABELS = {"": _l("Does not repeat"), "weekly": _l("Every week"), "biweekly": _l("Every two weeks"),
                 "monthly": _l("Every month")}


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class EventForm(FlaskForm):
    title = StringField(_l("Title"))
    kind = SelectField(_l("Kind"), choices=choices(KIND_LABELS.items()), validate_choice=False)
    description = TextAreaField(_l("Description"), description=_l(
        "Markdown. What the event is for, what to bring, who to contact; at most 20,000 characters."))
    starts_at = StringField(_l("Starts"), widget=DateTimeLocalInput())
    ends_at = StringField(_l("Ends"), widget=DateTimeLocalInput())
    timezone = StringField(_l("Time zone"), render_kw={"list": "timezones", "autocomplete": "off"},
                           description=_l("Start and end are in this zone (the movement's by default)."))
    place_name = StringField(_l("Place"), description=_l("For example: Salle des fêtes, the party's office."))
    address = StringField(_l("Address"))
    postal_code = StringField(_l("Postal code"), render_kw={"inputmode": "numeric", "autocomplete": "postal-code"})
    commune = StringField(_l("Commune"))
    online_url = StringField(_l("Online link"), description=_l(
        "For an event online (or also online): its https:// link."))
    capacity = StringField(_l("Seats"), widget=NumberInput(min=1),
                           description=_l("Empty: no limit. When it is full, members go on a waiting list."))
    audience = SelectField(_l("Who can see it"), choices=[], validate_choice=False)
    co_organisers = StringField(_l("Co-organisers"), description=_l(
        "Handles of members who organise it with you, separated by commas: they may edit it and see who comes."))
    kit_id = SelectField(_l("Field-action kit"), choices=[], validate_choice=False)
    repeat = SelectField(_l("Repeats"), choices=choices(REPEAT_LABELS.items()), validate_choice=False)
    repeat_count = StringField(_l("Number of occurrences"), widget=NumberInput(min=2))
    repeat_until = StringField(_l("or until"), widget=DateInput())

    def values(self) -> EventInput:
        return EventInput(**{name: (getattr(self, name).data or "") for name in EventInput.__dataclass_fields__})

    def fill(self, data: EventInput) -> None:
        for name in EventInput.__dataclass_fields__:
            getattr(self, name).data = getattr(data, name)


class FilterForm(FlaskForm):
    """The find-events filters (GET: no CSRF)."""

    class Meta:
        csrf = False

    place = StringField(_l("Postal code or department"), render_kw={"inputmode": "numeric"})
    kind = SelectField(_l("Kind"), choices=choices([("", _l("All kinds")), *KIND_LABELS.items()]),
                       validate_choice=False)
    group = SelectField(_l("Group"), choices=[], validate_choice=False)


class SettingsForm(FlaskForm):
    members_create_events = SelectField(_l("Who creates events"), choices=choices([
        ("0", _l("Organisers only")), ("1", _l("Every member"))]), validate_choice=False)
    reminder_hours = StringField(_l("Reminders, hours before the event"), widget=NumberInput(min=1, max=168),
                                 description=_l("Members who accept event reminders get an e-mail this long before "
                                                "each event they go to (1 to 168 hours)."))
