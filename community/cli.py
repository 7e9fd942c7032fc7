"""``flask --app app <command>``: modules, create-admin, seed-demo."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .registry import registry

modules_cli = AppGroup("modules", help="List, enable or disable modules.")


@modules_cli.command("list")
def modules_list():
    """Each module with its family, switch and effective state."""
    flags = registry.stored_flags()
    states = registry.enabled_map()
    for module in registry:
        state = "on" if states[module.name] else "off"
        note = ""
        if flags[module.name] and not states[module.name]:
            note = f"  (switched on, but needs: {', '.join(registry.why_disabled(module.name))})"
        click.echo(f"{module.name:<15} {module.family:<14} {state}{note}")


def _toggle(name: str, enabled: bool) -> None:
    from .admin.service import toggle_module

    if name not in registry:
        raise click.BadParameter(f"unknown module {name!r}; known: {', '.join(m.name for m in registry)}")
    toggle_module(name, enabled, None)
    click.echo(f"{name}: {'enabled' if enabled else 'disabled (data kept)'}")
    for dependant in registry.dependants(name):
        if not enabled:
            click.echo(f"  {dependant} is off too while {name} is off")


@modules_cli.command("enable")
@click.argument("name")
def modules_enable(name):
    """Switch a module on."""
    _toggle(name, True)


@modules_cli.command("disable")
@click.argument("name")
def modules_disable(name):
    """Switch a module off (its data is kept)."""
    _toggle(name, False)


@click.command("create-admin")
@click.argument("email")
@click.option("--handle", help="Handle (default: from the e-mail).")
@click.option("--name", "display_name", help="Display name (default: the handle).")
def create_admin(email, handle, display_name):
    """Create an admin; the password is asked (or read from stdin when not a terminal)."""
    from .auth import service
    from .models import Member

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    email = email.strip().lower()
    handle = (handle or "".join(c for c in email.split("@")[0] if c.isalnum() or c == "_")[:30]).lower()
    problem = service.password_problem(password, handle=handle, email=email)
    if problem:
        raise click.ClickException(str(problem))
    if not service.HANDLE_RE.match(handle):
        raise click.ClickException("invalid handle: use 3-30 lower-case letters, digits or _ (--handle)")
    existing = db.session.scalar(select(Member).where(Member.email == email))
    if existing is not None:
        raise click.ClickException(f"{email} already has an account (@{existing.handle})")
    if service.handle_taken(handle):
        raise click.ClickException(f"handle {handle} is taken; choose one with --handle")
    member = service.create_member(handle=handle, display_name=display_name or handle, email=email,
                                   password=password, role="admin", consent=False)
    from .models import record

    record(None, "member.create_admin", f"member:{member.id}")
    db.session.commit()
    click.echo(f"admin @{member.handle} created")


@click.command("seed-demo")
@click.option("--members", "count", default=200, show_default=True, help="How many members.")
@click.option("--seed", default=1, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--profile", type=click.Choice(["influence", "collaboration", "coordination"]), default=None,
              help="Shape the movement like one of the three types: top-down diffusion, groups and debates, "
                   "or events and campaigns (default: a bit of everything).")
def seed_demo(count, seed, profile):
    """Fill an empty database with a demo movement (deterministic for a seed)."""
    from .demo import seed as run_seed

    try:
        info = run_seed(members=count, seed=seed, progress=True, profile=profile)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"demo movement ready: {info['members']} members, {info['follows']} follows")
    click.echo(f"admin login: {info['admin_email']} / {info['password']}")


@click.command("prune")
def prune_command():
    """Apply the retention periods (TERREAU_RETAIN_*): run it daily."""
    from .privacy import prune

    for rule, count in prune().items():
        click.echo(f"{rule}: {count} deleted")


@click.command("run-jobs")
@click.option("--loop", is_flag=True, help="Keep running, checking for due jobs every --interval seconds.")
@click.option("--interval", default=60, show_default=True, help="Seconds between two checks with --loop.")
@click.option("--only", default=None, help="Run only this job (its name, e.g. coordination.reminders).")
@click.option("--force", is_flag=True, help="Run even if the job is not due yet.")
def run_jobs_command(loop, interval, only, force):
    """Run the periodic jobs that are due (reminders, snapshots, retention); cron it every 5 minutes."""
    import time

    from .jobs import all_jobs, run_due

    if only and only not in {job.name for job in all_jobs(enabled_only=False)}:
        raise click.ClickException(f"unknown job {only!r}")
    while True:
        for name, result in run_due(only=only, force=force).items():
            click.echo(f"{name}: {result}")
        if not loop:
            break
        time.sleep(interval)


def init_app(app) -> None:
    app.cli.add_command(modules_cli)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(prune_command)
    app.cli.add_command(run_jobs_command)
    from .exchange.cli import export_community, import_community

    app.cli.add_command(export_community)
    app.cli.add_command(import_community)
    from .assessment.cli import assess_command

    app.cli.add_command(assess_command)
