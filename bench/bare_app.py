"""The floor for bench/http_pages.py: a minimal Flask page over its own small SQLite table.

One request = open a SQLite connection (the Flask tutorial's ``get_db`` pattern), one indexed
query that fetches 20 rows, render them with a Jinja template (``bench/templates/bare.html``).
No login, no ORM, no extensions: what any Flask + SQLite + Jinja page costs on this machine.

    BARE_DB=/tmp/bare.db python bench/bare_app.py --build     # make the table (10,000 rows)
    BARE_DB=/tmp/bare.db gunicorn -w 2 -k sync --chdir bench bare_app:app
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys

from flask import Flask, g, render_template, request

ROWS = 10_000
CATEGORIES = 50  # so one category holds ~200 rows and the query really uses the index


def build(path: str, rows: int = ROWS) -> None:
    """Create the table, its index and ``rows`` deterministic rows (replaces an existing file)."""
    if os.path.exists(path):
        os.remove(path)
    rng = random.Random(1)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, category INTEGER NOT NULL, title TEXT NOT NULL, "
                 "body TEXT NOT NULL, created_at TEXT NOT NULL)")
    conn.execute("CREATE INDEX ix_item_category_id ON item (category, id)")
    words = ["terre", "eau", "soleil", "graine", "racine", "feuille", "jardin", "commun", "quartier", "marche"]
    conn.executemany(
        "INSERT INTO item (id, category, title, body, created_at) VALUES (?, ?, ?, ?, ?)",
        [(i, rng.randrange(CATEGORIES), " ".join(rng.choices(words, k=4)).capitalize(),
          " ".join(rng.choices(words, k=30)), f"2026-11-{1 + i % 28:02d} 09:{i % 60:02d}")
         for i in range(1, rows + 1)],
    )
    conn.commit()
    conn.close()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["BARE_DB"] = os.environ.get("BARE_DB", os.path.join(app.instance_path, "bare.db"))

    def get_db() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(app.config["BARE_DB"])
            g.db.row_factory = sqlite3.Row
        return g.db

    @app.teardown_appcontext
    def close_db(_exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.get("/")
    def index():
        category = request.args.get("c", 7, type=int)
        items = get_db().execute(
            "SELECT id, title, body, created_at FROM item WHERE category = ? ORDER BY id DESC LIMIT 20",
            (category,),
        ).fetchall()
        return render_template("bare.html", title=f"Category {category}", items=items)

    return app


app = create_app()

if __name__ == "__main__":
    if "--build" in sys.argv:
        build(app.config["BARE_DB"])
        print(f"built {app.config['BARE_DB']}")
    else:
        app.run(port=5001)
