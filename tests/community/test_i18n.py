"""Translations: every message of the code has a French translation, the committed .mo matches
the .po, and the pages speak the language chosen by the member, the session or the browser.

When the catalog test fails, run `scripts/i18n.sh`, translate the listed strings in
translations/fr/LC_MESSAGES/messages.po, run `scripts/i18n.sh` again (see docs/translating.md)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from community.extensions import db
from community.models import Member

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
FR_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FR_MO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo"
# The same keywords as scripts/i18n.sh (babel's defaults _, gettext, ngettext... come on top).
KEYWORDS = ["_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2"]


def _read_po(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale="fr" if "fr" in path.parts else None)


def _is_translated(message) -> bool:
    if "fuzzy" in message.flags:
        return False
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return all(s and s.strip() for s in strings)


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _as_dict(catalog) -> dict:
    return {(m.context, _hashable(m.id)): _hashable(m.string) for m in catalog if m.id}


def _relative(path: str) -> str:
    p = Path(path)
    return p.relative_to(ROOT).as_posix() if p.is_absolute() and p.is_relative_to(ROOT) else path


def _label(message) -> str:
    msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
    where = ", ".join(f"{_relative(path)}:{line}" for path, line in message.locations[:2])
    return f"{msgid!r} ({where})"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of the current source, extracted as scripts/i18n.sh does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    argv = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(pot)]
    for keyword in KEYWORDS:
        argv += ["-k", keyword]
    CommandLineInterface().run([*argv, str(ROOT)])
    return _read_po(pot)


def test_extraction_finds_python_and_template_messages(extracted):
    ids = {m.id for m in extracted if m.id}
    assert "Handle" in ids  # lazy_gettext in community/auth/forms.py
    assert "Log in" in ids  # _() in templates/
    assert ("%(num)d follower", "%(num)d followers") in ids  # ngettext in a template
    paths = {_relative(path) for m in extracted for path, _line in m.locations}
    assert not any(p.startswith(("tests/", "bench/", "migrations/")) for p in paths)


def test_every_message_has_a_french_translation(extracted):
    french = _read_po(FR_PO)
    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = french.get(message.id, message.context)
        if translated is None or not _is_translated(translated):
            missing.append(_label(message))
    assert not missing, (
        f"{len(missing)} message(s) without a French translation in {FR_PO.relative_to(ROOT)} "
        "(run scripts/i18n.sh, translate, run it again):\n" + "\n".join(missing)
    )


def test_french_catalog_is_valid():
    french = _read_po(FR_PO)
    assert french.plural_forms == "nplurals=2; plural=(n > 1);"
    problems = [f"{_label(m)}: {'; '.join(map(str, errors))}" for m, errors in french.check()]
    assert not problems, "placeholders or plural forms broken:\n" + "\n".join(problems)


def test_committed_mo_matches_the_po():
    """The .mo is committed (the app runs right after pip install): it must be compiled from the .po."""
    assert FR_MO.exists(), "translations/fr/LC_MESSAGES/messages.mo is missing: run scripts/i18n.sh"
    compiled = io.BytesIO()
    write_mo(compiled, _read_po(FR_PO))
    compiled.seek(0)
    with FR_MO.open("rb") as f:
        committed = read_mo(f)
    expected = _as_dict(read_mo(compiled))
    actual = _as_dict(committed)
    stale = sorted(str(k) for k in expected.keys() ^ actual.keys())
    stale += sorted(str(k) for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    assert not stale, "messages.mo is out of date with messages.po (run scripts/i18n.sh):\n" + "\n".join(stale[:20])


# Pages --------------------------------------------------------------------------------------


@pytest.fixture
def client(client):
    """The shared client asks for English by default (tests/conftest.py): here it asks for nothing,
    like a browser that sends no Accept-Language, so each test states the language it sends."""
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    return client


def test_french_is_the_default(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Se connecter" in page and "Mot de passe" in page
    assert "Log in" not in page


def test_browser_language_is_followed(client):
    page = client.get("/auth/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page and "Se connecter" not in page
    page = client.get("/auth/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Se connecter" in page  # a language we do not have falls back to French


def test_language_switch_is_kept_in_the_session(client):
    response = client.post("/language", data={"lang": "en", "next": "/auth/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    page = client.get("/auth/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Log in" in page and "Se connecter" not in page
    client.post("/language", data={"lang": "fr"})
    page = client.get("/auth/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Se connecter" in page


def test_unknown_language_is_refused(client):
    assert client.post("/language", data={"lang": "xx"}).status_code == 400


def test_member_locale_wins(client, make_member, login):
    member = make_member(locale="en")
    client.post("/language", data={"lang": "fr"})
    login(client, member)
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Log out" in page and "Se déconnecter" not in page


def test_language_switch_saves_the_member_locale(client, make_member, login):
    member = make_member(locale="en")
    login(client, member)
    client.post("/language", data={"lang": "fr"})
    assert db.session.scalar(select(Member.locale).where(Member.id == member.id)) == "fr"
    assert "Se déconnecter" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_registration_errors_come_back_in_french(client):
    response = client.post("/auth/register", data={
        "display_name": "", "handle": "Ana Lopez!", "email": "ana@example.org",
        "password": "court", "consent": "",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Utilisez de 3 à 30 lettres minuscules, chiffres ou tirets bas (_)." in page
    assert "Utilisez au moins 10 caractères." in page
    assert "Vous devez accepter la notice d'information sur le traitement des données" in page
    assert "lower-case letters" not in page
    assert "This field is required." not in page  # WTForms' own messages come in French too


def test_form_errors_follow_the_english_choice(client):
    response = client.post("/auth/register", headers={"Accept-Language": "en"}, data={
        "display_name": "Ana Lopez", "handle": "Ana Lopez!", "email": "ana@example.org",
        "password": "lilas-sous-la-pluie-42", "consent": "y",
    })
    assert "Use 3 to 30 lower-case letters, digits or underscores." in response.get_data(as_text=True)


def test_templates_follow_a_forced_language_then_the_requests_again(app):
    """community.i18n.translations keeps the catalog per locale: a force_locale block (an e-mail
    in its recipient's language) translates in that language, the page around it in its own."""
    from flask import render_template_string
    from flask_babel import force_locale

    template = "{{ _('Home') }} {{ ngettext('%(num)d member', '%(num)d members', 2) }}"
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        before = render_template_string(template)
        with force_locale("en"):
            forced = render_template_string(template)
            with force_locale("fr"):
                nested = render_template_string(template)
        after = render_template_string(template)
    assert before.startswith("Accueil") and after == before and nested == before
    assert forced == "Home 2 members"
