"""The module contract, checked over every registered module (ARCHITECTURE §2)."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from community.activity import publish
from community.extensions import db, socketio
from community.models import Activity, Setting
from community.registry import HomeWidget, registry

if not registry.modules:
    registry.discover()  # the same discovery create_app() runs, so parametrisation sees every module
MODULES = sorted(m.name for m in registry)


def test_three_modules_are_registered_one_per_family():
    assert {(m.name, m.family) for m in registry} >= {
        ("influence", "influence"), ("collaboration", "collaboration"), ("coordination", "coordination")}


@pytest.mark.parametrize("name", MODULES)
def test_naming_rule_one_name_everywhere(app, name):
    module = registry.get(name)
    assert module.blueprint.name == name
    assert module.blueprint.url_prefix == f"/{name}"
    assert app.blueprints[name] is module.blueprint
    templates = Path(module.blueprint.root_path) / module.blueprint.template_folder
    assert (templates / name).is_dir(), "templates live in a folder named after the module"
    assert [p.name for p in templates.iterdir() if p.is_dir()] == [name]
    for mapper in db.Model.registry.mappers:
        if mapper.class_.__module__.startswith(f"modules.{name}"):
            assert mapper.local_table.name.startswith(f"{name}_")
    for verb in module.activity_kinds:
        assert verb.startswith(f"{name}.")


def _urls(app, name):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != name:
            continue
        values = {arg: ("x.css" if arg == "filename" else "1") for arg in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


@pytest.mark.parametrize("name", MODULES)
def test_disabled_module_answers_404_on_every_rule_and_comes_back(app, client, make_member, login, name):
    login(client, make_member(role="admin"))
    index = f"/{name}/"
    assert client.get(index).status_code == 200
    registry.set_enabled(name, False)
    urls = list(_urls(app, name))
    assert any(path.startswith(f"/{name}/static/") for _, path in urls)
    for method, path in urls:
        assert client.open(path, method=method).status_code == 404, (method, path)
    assert client.get(f"/{name}/static/{name}/{name}.css").status_code == 404
    assert client.get(index, headers={"Accept": "application/json"}).get_json()["status"] == 404
    registry.set_enabled(name, True)
    assert client.get(index).status_code == 200
    static = client.get(f"/{name}/static/{name}/{name}.css")
    static.close()
    assert static.status_code == 200


@pytest.mark.parametrize("name", MODULES)
def test_nav_widgets_and_feed_items_hide_and_return(app, client, make_member, login, name):
    member = make_member()
    login(client, member)
    module = registry.get(name)
    original_widgets = module.home_widgets
    module.home_widgets = (*original_widgets, HomeWidget("auth/_notice_text.html", order=99))
    try:
        publish(member, f"{name}.contract_probe", ("contract", 1), audience="members")
        home = client.get("/").get_data(as_text=True)
        assert f'data-endpoint="{name}.' in home
        assert f"{name}.contract_probe" in home
        assert f"widget--{name}" in home
        registry.set_enabled(name, False)
        home = client.get("/").get_data(as_text=True)
        assert f'data-endpoint="{name}.' not in home
        assert f"{name}.contract_probe" not in home
        assert f"widget--{name}" not in home
        assert all(item["module"] != name for item in client.get("/activity/since?after=0").get_json()["items"])
        registry.set_enabled(name, True)
        home = client.get("/").get_data(as_text=True)
        assert f"{name}.contract_probe" in home and f'data-endpoint="{name}.' in home
    finally:
        module.home_widgets = original_widgets


@pytest.mark.parametrize("name", MODULES)
def test_data_survives_disable_and_enable(app, make_member, name):
    member = make_member()
    publish(member, f"{name}.contract_probe", ("contract", 1))
    db.session.add(Setting(module=name, key="probe", value={"kept": True}))
    db.session.commit()
    module = registry.get(name)

    def counts():
        tables = {t: db.session.scalar(select(func.count()).select_from(db.metadata.tables[t]))
                  for t in module.tables()}
        activities = db.session.scalar(select(func.count()).where(Activity.module == name))
        return tables, activities

    before = counts()
    registry.set_enabled(name, False)
    assert counts() == before
    registry.set_enabled(name, True)
    assert counts() == before and before[1] == 1
    assert db.session.get(Setting, (name, "probe")).value == {"kept": True}


@pytest.mark.parametrize("name", MODULES)
def test_socket_room_of_disabled_module_is_refused(app, client, make_member, login, name):
    module = registry.get(name)
    original_rooms = module.rooms
    module.rooms = {**original_rooms, "probe": lambda member, ident: True}
    try:
        login(client, make_member())
        sock = socketio.test_client(app, flask_test_client=client)
        assert sock.is_connected()
        assert sock.emit("join", {"room": f"{name}:probe:1"}, callback=True) == {"ok": True}
        registry.set_enabled(name, False)
        assert sock.emit("join", {"room": f"{name}:probe:1"}, callback=True)["error"] == "module_disabled"
        registry.set_enabled(name, True)
        sock.disconnect()
    finally:
        module.rooms = original_rooms


def test_module_state_change_is_seen_by_another_process_view(app, make_member):
    """State lives in the database, read per request: a second app (another worker) sees it."""
    from community import create_app

    other = create_app({"INSTANCE_PATH": app.instance_path, "SECRET_KEY": "x", "TESTING": True,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    other.extensions["terreau_has_members"] = True
    registry.set_enabled("coordination", False)
    db.session.commit()
    with other.test_request_context("/coordination/"):
        assert registry.is_enabled("coordination") is False
        db.session.remove()
    registry.set_enabled("coordination", True)
    with other.test_request_context("/coordination/"):
        assert registry.is_enabled("coordination") is True
        db.session.remove()
    with other.app_context():
        db.engine.dispose()
