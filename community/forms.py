"""Form helpers shared by the core and modules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError


class TagListField(StringField):
    """Comma-separated tags, normalised to a sorted list of lower-case unique names."""

    def __init__(self, *args, max_tags: int = 20, max_length: int = 40, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_tags = max_tags
        self.max_length = max_length

    def _value(self):
        if isinstance(self.data, list):
            return ", ".join(self.data)
        return self.data or ""

    def process_formdata(self, valuelist):
        raw = valuelist[0] if valuelist else ""
        self.raw = raw
        names = []
        for part in raw.replace(";", ",").split(","):
            name = " ".join(part.strip().lower().lstrip("#").split())
            if name and name not in names:
                names.append(name)
        self.data = names

    def pre_validate(self, form):
        if len(self.data or []) > self.max_tags:
            raise ValidationError(_l("At most %(n)d tags.", n=self.max_tags))
        for name in self.data or []:
            if len(name) > self.max_length:
                raise ValidationError(_l("Each tag has at most %(n)d characters.", n=self.max_length))


def error_messages(errors: dict) -> list[str]:
    """Every message of a service's validation errors, in order: for a page that shows them together
    rather than next to form fields (a button's refusal, a flash)."""
    return [str(message) for messages in errors.values() for message in messages]


def add_errors(form: FlaskForm, errors: dict) -> list:
    """Put each message from a service's validation next to its field (kept once); return the
    messages that name no field of the form (to show above it)."""
    general = []
    for name, messages in errors.items():
        field = getattr(form, name, None) if name else None
        if field is None:
            general.extend(str(m) for m in messages)
            continue
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.extend(str(m) for m in messages if str(m) not in field.errors)
    return general
