"""Each hook the core drives, driven through the host by an inline plugin."""

import inspect
from contextlib import asynccontextmanager

import pytest
import sqlalchemy as sa

from webmacs_core.cli import build_parser
from webmacs_core.plugins import build_plugin_manager
from webmacs_sdk import (
    DATABASE,
    HOST,
    AuthBackendSpec,
    EventTypeSpec,
    LiveBusSpec,
    MigrationSpec,
    PluginConflictError,
    PluginLoadError,
    Policy,
    Principal,
    Role,
    RouteTable,
    RuleOperatorSpec,
    hookimpl,
)
from webmacs_sdk.web import json_response, principal

MIGRATION = '''
import sqlalchemy as sa
from alembic import op

revision = "gadgets_0001"
down_revision = None
branch_labels = ("gadgets",)
depends_on = None


def upgrade():
    op.create_table("gadgets", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("gadgets")
'''


def gadget_plugin(tmp_path, depends_on=()):
    folder = tmp_path / "gadget_migrations"
    folder.mkdir(exist_ok=True)
    (folder / "0001_gadgets.py").write_text(MIGRATION)

    class Gadgets:
        name = "gadgets"
        started = []

        @hookimpl
        def webmacs_migrations(self):
            return [MigrationSpec("gadgets", folder, depends_on)]

        @hookimpl
        async def webmacs_startup(self, app):
            # Runs after migrations: the plugin's table is usable here.
            async with app[DATABASE].connect() as conn:
                self.started.append((await conn.execute(sa.text("SELECT count(*) FROM gadgets"))).scalar())

    return Gadgets()


async def test_webmacs_migrations_create_a_plugins_tables_before_webmacs_startup(make_client, tmp_path):
    plugin = gadget_plugin(tmp_path)
    await make_client(plugin)
    assert plugin.started == [0]


async def test_a_migration_branch_needing_a_missing_branch_fails_startup(make_app, aiohttp_client, tmp_path):
    app = make_app(gadget_plugin(tmp_path, depends_on=("users",)))
    with pytest.raises(PluginLoadError, match="need the branch"):
        await aiohttp_client(app)


def test_webmacs_cli_commands_adds_a_subcommand():
    class Hello:
        @hookimpl
        def webmacs_cli_commands(self, subparsers):
            sub = subparsers.add_parser("hello", help="say hello")
            sub.set_defaults(func=lambda args, settings, pm: 42)

    pm = build_plugin_manager(plugins=[("hello", Hello())], entrypoints=False)
    args = build_parser(pm).parse_args(["hello"])
    assert args.func(args, None, pm) == 42


routes = RouteTable("/api/v1/probe")


@routes.get("/whoami", policy=Policy.OPERATOR)
async def whoami(request):
    return json_response({"username": principal(request).username})


class DoorKeeper:
    name = "doorkeeper"
    logouts = []

    @hookimpl
    def webmacs_register_routes(self):
        return list(routes)

    @hookimpl
    def webmacs_register_auth_backends(self):
        class Backend:
            def __init__(self, app):
                self.app = app

            async def authenticate(self, request, credential):
                if credential == "let-me-in":
                    return Principal(1, "p-1", "robot", "robot@example.com", Role.OPERATOR, credential, "static")
                return None

        return [AuthBackendSpec("static", Backend, priority=10)]

    @hookimpl(optionalhook=True)  # declared by the auth plugin
    def webmacs_on_logout(self, app, tx, principal):
        self.logouts.append(principal.credential_kind)


async def test_webmacs_register_auth_backends_and_webmacs_on_logout(make_client):
    DoorKeeper.logouts = []
    client = await make_client("users", "auth", DoorKeeper())
    resp = await client.get("/api/v1/probe/whoami", headers={"Authorization": "Bearer let-me-in"})
    assert await resp.json() == {"username": "robot"}
    assert (await client.get("/api/v1/probe/whoami", headers={"Authorization": "Bearer nope"})).status == 401
    out = await client.post("/api/v1/auth/logout", headers={"Authorization": "Bearer let-me-in"})
    assert out.status == 200 and DoorKeeper.logouts == ["static"]


async def test_configured_auth_backends_exclude_the_others(make_client):
    client = await make_client("users", "auth", DoorKeeper(), env={"WEBMACS_AUTH_BACKENDS": "jwt"})
    resp = await client.get("/api/v1/probe/whoami", headers={"Authorization": "Bearer let-me-in"})
    assert resp.status == 401


class Registries:
    name = "registries"

    @hookimpl(optionalhook=True)  # declared by the rules plugin
    def webmacs_register_rule_operators(self):
        return [RuleOperatorSpec("near", lambda v, t, h: abs(v - t) < (h or 1.0), needs_high=False)]

    @hookimpl(optionalhook=True)  # declared by the webhooks plugin
    def webmacs_event_types(self):
        return [EventTypeSpec("batch.finished", "a production batch finished")]

    @hookimpl
    def webmacs_register_live_buses(self):
        class Recording:
            def __init__(self):
                self.sent = []

            async def publish(self, topic, message):
                self.sent.append((topic, message))

            def subscribe(self, topic):
                raise NotImplementedError

        @asynccontextmanager
        async def factory(app):
            yield Recording()

        return [LiveBusSpec("recording", factory)]


RULES = ("users", "auth", "events", "rules")


async def test_webmacs_register_rule_operators_and_webmacs_event_types_reach_their_owners(make_client):
    from webmacs_rules import registry
    from webmacs_webhooks import event_types

    client = await make_client(*RULES, "webhooks", Registries())
    assert registry(client.app).operators["near"].test(1.0, 1.5, None)
    assert "batch.finished" in [spec.name for spec in event_types(client.app)]


async def test_duplicate_rule_operator_names_conflict(make_app, aiohttp_client):
    class Again:
        name = "again"
        webmacs_register_rule_operators = Registries.webmacs_register_rule_operators

    with pytest.raises(PluginConflictError, match="'near' is registered by both 'registries' and 'again'"):
        await aiohttp_client(make_app(*RULES, Registries(), Again()))


async def test_webmacs_register_live_buses_is_chosen_by_configuration(make_client):
    client = await make_client(Registries(), env={"WEBMACS_LIVE_BUS": "recording"})
    bus = client.app[HOST].live_bus
    await bus.publish("datapoints", b"{}")
    assert bus.sent == [("datapoints", b"{}")]


def test_no_async_implementation_on_a_sync_registration_hook_in_the_shipped_plugins():
    pm = build_plugin_manager()
    for hook_name in ("webmacs_register_routes", "webmacs_register_storage_backends", "webmacs_migrations"):
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            assert not inspect.iscoroutinefunction(impl.function), (hook_name, impl.plugin_name)


async def test_webmacs_cleanup_ctx_runs_in_order_and_unwinds_in_reverse(make_app, aiohttp_client):
    from webmacs_sdk import CleanupContextSpec

    trace = []

    def resource(label):
        async def ctx(app):
            trace.append(f"open {label}")
            yield
            trace.append(f"close {label}")

        return ctx

    class Resources:
        name = "resources"

        @hookimpl
        def webmacs_cleanup_ctx(self):
            return [CleanupContextSpec("b", resource("b"), order=20), CleanupContextSpec("a", resource("a"), order=10)]

    client = await aiohttp_client(make_app(Resources()))
    assert trace == ["open a", "open b"]
    await client.close()
    assert trace == ["open a", "open b", "close b", "close a"]


async def test_webmacs_settings_model_sections_come_from_env_and_toml(make_client, tmp_path):
    import attrs

    from webmacs_sdk import SettingsSpec

    @attrs.frozen
    class KilnSettings:
        kiln_max_temperature: float = 1200.0
        kiln_name: str = "kiln"

    class Kiln:
        name = "kiln"

        @hookimpl
        def webmacs_settings_model(self):
            return [SettingsSpec("kiln", KilnSettings)]

    config = tmp_path / "webmacs.toml"
    config.write_text('[plugins.kiln]\nkiln_name = "north kiln"\n')
    client = await make_client(Kiln(), env={"WEBMACS_CONFIG": str(config), "WEBMACS_KILN_MAX_TEMPERATURE": "900"})
    section = client.app[HOST].section(KilnSettings)
    assert section == KilnSettings(900.0, "north kiln")


async def test_webmacs_register_rule_actions_reach_the_host(make_client):
    from webmacs_sdk import RuleActionSpec

    async def page_operator(app, tx, firing):
        return None

    class Pager:
        name = "pager"

        @hookimpl(optionalhook=True)
        def webmacs_register_rule_actions(self):
            return [RuleActionSpec("page-operator", page_operator, "pages the operator on call")]

    from webmacs_rules import registry

    client = await make_client(*RULES, Pager())
    assert registry(client.app).actions["page-operator"].run is page_operator
