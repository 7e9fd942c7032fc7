"""Fixtures of the coordination tests. ``english`` is not autouse here: the events tests check
French pages; the kits and campaigns tests opt in with ``pytestmark = pytest.mark.usefixtures("english")``."""

import pytest
from flask_babel import force_locale


@pytest.fixture
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def organiser(make_member):
    return make_member(role="organiser", handle="orga")
