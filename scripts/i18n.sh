#!/usr/bin/env bash
# Update the translations after source strings changed (docs/translating.md):
#   1. extract every _() / gettext / ngettext / lazy_gettext (_l) / {% trans %} message of the code
#      and templates into translations/messages.pot (babel.cfg says which files; tests/, bench/
#      and migrations/ are left out);
#   2. merge it into each catalog, translations/<lang>/LC_MESSAGES/messages.po (new messages come
#      in empty, changed ones marked "fuzzy", removed ones dropped);
#   3. compile the catalogs into the .mo files the app reads (committed: the app must run right
#      after `pip install -r requirements.txt`). Fuzzy and empty entries are left out of the .mo.
# Then translate the empty and fuzzy entries (delete the "#, fuzzy" line once checked), run this
# script again, and check with `python -m pytest tests/community/test_i18n.py -q`.
#
#   scripts/i18n.sh            extract + update + compile
#   scripts/i18n.sh compile    compile only (after editing a .po by hand)
#   scripts/i18n.sh init LANG  start a new language (then add it to TERREAU_LOCALES in community/config.py)
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL=(python -m babel.messages.frontend)
# Keywords on top of babel's defaults (_, gettext, ngettext, pgettext, npgettext, N_ ...); keep in
# step with KEYWORDS in tests/community/test_i18n.py.
KEYWORDS=(-k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2)
POT=translations/messages.pot

extract() {
  "${PYBABEL[@]}" -q extract -F babel.cfg "${KEYWORDS[@]}" --sort-by-file \
    --project Terreau --copyright-holder "Terreau contributors" -o "$POT" .
  echo "extracted $(grep -c '^msgid "' "$POT" | awk '{print $1 - 1}') messages into $POT"
}

compile() {
  "${PYBABEL[@]}" compile -d translations --statistics
}

case "${1:-update}" in
  update)
    extract
    "${PYBABEL[@]}" update -i "$POT" -d translations --previous --ignore-obsolete
    compile
    # Empty or fuzzy entries left to translate, per catalog.
    for po in translations/*/LC_MESSAGES/messages.po; do
      python - "$po" <<'PY'
import sys
from babel.messages.pofile import read_po
with open(sys.argv[1], "rb") as f:
    catalog = read_po(f)
todo = [m for m in catalog if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))]
print(f"{sys.argv[1]}: {len(todo)} to translate" + "".join(
    f"\n  {'fuzzy' if m.fuzzy else 'empty'}: {(m.id[0] if isinstance(m.id, tuple) else m.id)!r}" for m in todo))
PY
    done
    ;;
  compile)
    compile
    ;;
  init)
    lang="${2:?usage: scripts/i18n.sh init LANG}"
    extract
    "${PYBABEL[@]}" init -i "$POT" -d translations -l "$lang"
    compile
    ;;
  *)
    echo "usage: scripts/i18n.sh [update|compile|init LANG]" >&2
    exit 2
    ;;
esac
