"""Terreau's entry point: ``app = create_app()``; ``python app.py [--demo]`` serves it.

    python app.py --demo          # SQLite in instance/, a demo movement on first start
    python app.py --host 0.0.0.0 --port 8000
"""

from __future__ import annotations

import argparse

from community import create_app

app = create_app()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve Terreau (development server, threading mode).")
    parser.add_argument("--demo", action="store_true", help="seed a demo movement when the database is empty")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--members", type=int, default=200, help="demo size (default 200)")
    args = parser.parse_args(argv)

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from community.demo import seed
    from community.extensions import db, socketio
    from community.models import Member

    with app.app_context():
        upgrade()
        if args.demo and not db.session.scalar(select(func.count()).select_from(Member)):
            info = seed(members=args.members, seed=1, progress=True)
            print(f"Demo movement ready: {info['members']} members.")
            print(f"Log in as the demo admin: {info['admin_email']} / {info['password']}")
        elif not db.session.scalar(select(func.count()).select_from(Member)):
            print(f"Empty installation: open http://{args.host}:{args.port}/ to create the first admin.")
    from community.jobs import start_thread

    start_thread(app)  # reminders, snapshots, retention (with gunicorn, run `flask --app app run-jobs --loop`)
    print(f"Terreau serves http://{args.host}:{args.port}/ (Ctrl+C stops it)")
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    main()
