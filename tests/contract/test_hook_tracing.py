"""Every hook call goes through ``pm.hook``: pluggy's monitors and the SDK's HookRecorder see it.

The app is built with every installed plugin; each implementation is spied on, and a spy call
that does not happen inside a monitored call of its own hook is a hand-written loop somewhere.
"""

import asyncio
import functools
import importlib.metadata

import pluggy
import pytest

import webmacs_health
from webmacs_core.app import create_app
from webmacs_core.plugins import build_plugin_manager
from webmacs_core.settings import Settings
from webmacs_sdk import PluginLoadError, hookimpl
from webmacs_sdk.hooks import call_hook
from webmacs_sdk.markers import hookspec
from webmacs_sdk.testing.api import create_event, post_datapoints
from webmacs_sdk.testing.pytest_plugin import BASE_ENV, TEST_SECRET, login
from webmacs_sdk.testing.recorder import HookRecorder

#: Hooks a started app calls while it serves the requests below (after-commit ones included).
SERVING_HOOKS = {
    "webmacs_startup", "webmacs_on_datapoints", "webmacs_on_event", "webmacs_on_logout", "webmacs_health",
}


class Tracer:
    """``pm.add_hookcall_monitoring`` before/after, plus a spy on each implementation."""

    def __init__(self, pm):
        self.open: list[str] = []
        self.before: list[str] = []
        self.after: list[str] = []
        self.unmonitored: list[tuple[str, str]] = []
        self.undo = pm.add_hookcall_monitoring(self._before, self._after)
        for name in dir(pm.hook):
            caller = getattr(pm.hook, name)
            if isinstance(caller, pluggy.HookCaller):
                for impl in caller.get_hookimpls():
                    impl.function = self._spy(name, impl.plugin_name, impl.function)

    def _before(self, hook_name, impls, kwargs):
        self.open.append(hook_name)
        self.before.append(hook_name)

    def _after(self, outcome, hook_name, impls, kwargs):
        self.open.pop()
        self.after.append(hook_name)

    def _spy(self, hook_name, plugin, function):
        @functools.wraps(function)
        def spy(*args, **kwargs):
            if not self.open or self.open[-1] != hook_name:
                self.unmonitored.append((hook_name, plugin))
            return function(*args, **kwargs)

        return spy


def installed_plugins():
    # Without the plugin manager's ingest filter, which passes only events mapped to a channel.
    return [(ep.name, ep.load()) for ep in importlib.metadata.entry_points(group="webmacs.plugins")
            if ep.name != "plugins"]


async def test_every_hook_call_is_seen_by_a_hookcall_monitor_and_the_recorder(aiohttp_client, tmp_path):
    pm = build_plugin_manager(plugins=sorted(installed_plugins()), entrypoints=False, strict=True)
    tracer, recorder = Tracer(pm), HookRecorder(pm)
    settings = Settings.load(
        {**BASE_ENV, "WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins")},
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'webmacs.db'}",
        secret_key=TEST_SECRET, secret_key_file=tmp_path / "secret", strict_plugins=True,
    )
    client = await aiohttp_client(create_app(settings, pm=pm))
    token = await login(client, BASE_ENV["WEBMACS_INITIAL_ADMIN_EMAIL"], BASE_ENV["WEBMACS_INITIAL_ADMIN_PASSWORD"])
    headers = {"Authorization": f"Bearer {token}"}
    event = await create_event(client, headers)
    await post_datapoints(client, headers, event, [1.0, 2.0])
    assert (await client.get("/health")).status == 200
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status == 200
    for _ in range(200):  # the datapoints notification runs after commit, in the background
        if recorder.calls("webmacs_on_datapoints"):
            break
        await asyncio.sleep(0.01)
    await client.close()
    recorder.close()
    tracer.undo()

    assert set(tracer.before) >= SERVING_HOOKS, SERVING_HOOKS - set(tracer.before)
    assert sorted(tracer.before) == sorted(tracer.after)
    assert tracer.unmonitored == []
    assert set(recorder.names()) >= SERVING_HOOKS
    (call,) = recorder.calls("webmacs_on_datapoints")
    assert call.kwargs["batch"].values == [1.0, 2.0]
    assert recorder.calls("webmacs_register_routes"), "registration hooks are seen too"


# ---- failure isolation --------------------------------------------------------------------


class Broken:
    name = "broken"

    @hookimpl(optionalhook=True)  # the health plugin's hook
    async def webmacs_health(self, app):
        raise RuntimeError("async health failed")

    @hookimpl
    def webmacs_on_datapoints(self, app, batch):
        raise RuntimeError("sync notification failed")


class Healthy:
    name = "healthy"

    def __init__(self):
        self.seen = []

    @hookimpl(optionalhook=True)  # the health plugin's hook
    async def webmacs_health(self, app):
        return {"healthy": True}

    @hookimpl
    async def webmacs_on_datapoints(self, app, batch):
        self.seen.append(batch)


async def test_a_failing_implementation_is_logged_and_the_others_still_run(caplog):
    healthy = Healthy()
    pm = build_plugin_manager(plugins=[healthy, Broken(), ("health", webmacs_health)], entrypoints=False, strict=True)
    health = await call_hook(pm.hook.webmacs_health, app=None)
    notified = await call_hook(pm.hook.webmacs_on_datapoints, app=None, batch="b1")
    assert health.results == [{"healthy": True}]
    assert healthy.seen == ["b1"]
    assert [plugin for plugin, _ in health.failures + notified.failures] == ["broken", "broken"]
    assert "webmacs_health of plugin 'broken' failed" in caplog.text
    assert "webmacs_on_datapoints of plugin 'broken' failed" in caplog.text


def test_outside_call_hook_pluggy_behaves_as_documented():
    pm = build_plugin_manager(plugins=[Healthy(), Broken()], entrypoints=False)
    with pytest.raises(RuntimeError, match="sync notification failed"):
        pm.hook.webmacs_on_datapoints(app=None, batch="b1")


# ---- plugins add hook specs of their own --------------------------------------------------


class GadgetSpecs:
    @hookspec
    def webmacs_gadget_made(self, app, gadget):
        """A gadget was made."""


class GadgetOwner:
    name = "gadgets"

    @hookimpl
    def webmacs_addhooks(self, pluginmanager):
        pluginmanager.add_hookspecs(GadgetSpecs)


def gadget_listener(label):
    class Listener:
        name = f"listener-{label}"

        # optionalhook: the owner may be registered later, or be blocked.
        @hookimpl(optionalhook=True)
        async def webmacs_gadget_made(self, app, gadget):
            return f"{label}:{gadget}"

    return Listener()


async def test_webmacs_addhooks_lets_a_plugin_declare_hooks_others_implement():
    pm = build_plugin_manager(plugins=[gadget_listener("before"), GadgetOwner(), gadget_listener("after")],
                              entrypoints=False, strict=True)
    recorder = HookRecorder(pm)
    outcome = await call_hook(pm.hook.webmacs_gadget_made, app=None, gadget="g1")
    recorder.close()
    assert sorted(outcome.results) == ["after:g1", "before:g1"]
    assert recorder.names() == ["webmacs_gadget_made"]
    assert pm.hook.webmacs_gadget_made.spec is not None


def test_an_implementation_not_matching_a_plugins_spec_fails_to_load():
    class Wrong:
        name = "wrong"

        @hookimpl(optionalhook=True)
        def webmacs_gadget_made(self, app, colour):
            return None

    with pytest.raises(PluginLoadError, match="colour"):
        build_plugin_manager(plugins=[GadgetOwner(), Wrong()], entrypoints=False, strict=True)


def test_every_user_owned_table_of_the_shipped_plugins_is_declared_through_webmacs_user_owned_tables():
    pm = build_plugin_manager(plugins=sorted(installed_plugins()), entrypoints=False, strict=True)
    declared = {spec.table.name for specs in pm.hook.webmacs_user_owned_tables() for spec in specs}
    assert {"events", "experiments", "rules", "dashboards", "webhooks", "log_entries"} <= declared
