"""The plugin manager: one per app, entry-point discovery, blocking, fail-soft loading, backends by name."""

from __future__ import annotations

import logging
import types
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs
import pluggy

from webmacs_core import defaults, hookspecs
from webmacs_sdk.device.hookspec import as_plugin
from webmacs_sdk.discovery import find_plugins
from webmacs_sdk.errors import PluginConflictError, PluginLoadError
from webmacs_sdk.hooks import attribute_impl, is_async_impl, named_results
from webmacs_sdk.markers import PROJECT_NAME

log = logging.getLogger(__name__)

#: Plugins that cannot be blocked: without them the server would be open or unusable.
ESSENTIAL_PLUGINS = frozenset({"core", "auth", "users"})

S = TypeVar("S")


@attrs.define
class PluginRecord:
    """What happened to one plugin: ``loaded``, ``blocked`` or ``failed`` (with the error)."""

    name: str
    status: str
    distribution: str | None = None
    version: str | None = None
    error: str | None = None
    essential: bool = False

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class WebmacsPluginManager(pluggy.PluginManager):
    """pluggy's manager with the WebMACS catalogue, load records and typed backend lookups."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        # Historic: every plugin registered from now on gets the call right after registration,
        # so its own hook specs exist before the impls of plugins registered later are validated.
        self.hook.webmacs_addhooks.call_historic(kwargs={"pluginmanager": self})
        self.records: dict[str, PluginRecord] = {}
        self.register(defaults, name="core")
        self.records["core"] = PluginRecord("core", "loaded", "webmacs", None, None, True)

    def register(self, plugin: object, name: str | None = None) -> str | None:
        """pluggy's ``register``; each implementation is also made answerable to ``call_hook``."""
        registered = super().register(plugin, name)
        if registered is not None:
            for caller in self.get_hookcallers(plugin) or ():
                for impl in caller.get_hookimpls():
                    if impl.plugin is plugin:
                        attribute_impl(impl)
        return registered

    # ---- loading ------------------------------------------------------------------------

    def load(
        self,
        *,
        plugins: Iterable[object | tuple[str, object]] = (),
        entrypoints: bool = True,
        blocked: Iterable[str] = (),
        strict: bool = False,
    ) -> None:
        """Register explicit plugins, then the ``webmacs.plugins`` entry points not blocked.

        A plugin that fails to import or register is recorded as ``failed`` (and logged);
        with ``strict`` the failure is raised as :class:`PluginLoadError`.
        """
        blocked_names = set(blocked)
        for name in sorted(blocked_names & ESSENTIAL_PLUGINS):
            log.warning("plugin %r is essential and cannot be disabled", name)
        blocked_names -= ESSENTIAL_PLUGINS
        for name in blocked_names:
            self.set_blocked(name)
        for item in plugins:
            name, plugin = item if isinstance(item, tuple) else (_plugin_name(item), item)
            self._register_one(name, _constant(plugin), (None, None), strict)
        if entrypoints:
            entries = find_plugins()
            known = {entry.name for entry in entries} | {n for n, p in self.list_name_plugin() if p is not None}
            for name in sorted(blocked_names - known):
                log.warning("WEBMACS_DISABLE_PLUGINS names %r, which is not an installed plugin (installed: %s)",
                            name, ", ".join(sorted(known)))
            for entry in entries:
                if entry.name in blocked_names:
                    self.records[entry.name] = PluginRecord(
                        entry.name, "blocked", entry.distribution, entry.version
                    )
                    continue
                if self.has_plugin(entry.name) or entry.name in self.records:
                    continue
                self._register_one(entry.name, entry.load, (entry.distribution, entry.version), strict)
        self._check_async_firstresult()

    def _register_one(
        self,
        name: str,
        loader: Callable[[], object],
        origin: tuple[str | None, str | None],
        strict: bool,
    ) -> None:
        record = PluginRecord(name, "loaded", *origin, essential=name in ESSENTIAL_PLUGINS)
        try:
            plugin = as_plugin(loader())
            self.register(plugin, name=name)
            self.check_pending()
        except Exception as exc:
            if self.has_plugin(name):
                self.unregister(name=name)
            record.status, record.error = "failed", f"{type(exc).__name__}: {exc}"
            self.records[name] = record
            log.error("plugin %r failed to load: %s", name, record.error)
            if strict:
                raise PluginLoadError(name, f"failed to load: {record.error}") from exc
            return
        self.records[name] = record

    def _check_async_firstresult(self) -> None:
        for hook_name in dir(self.hook):
            caller = getattr(self.hook, hook_name)
            if not isinstance(caller, pluggy.HookCaller) or caller.spec is None:
                continue
            if not caller.spec.opts.get("firstresult"):
                continue
            for impl in caller.get_hookimpls():
                if is_async_impl(impl):
                    raise PluginLoadError(
                        impl.plugin_name, f"async implementation on firstresult hook {hook_name}"
                    )

    # ---- collecting -----------------------------------------------------------------------

    def collect(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Flatten the iterables every implementation of a registration hook returned."""
        results = getattr(self.hook, hook_name)(**kwargs)
        return [item for result in results if result is not None for item in result]

    def named(self, hook_name: str) -> dict[str, Any]:
        """Specs of a registration hook keyed by ``name``; a duplicate name is a conflict error."""
        return named_results(getattr(self.hook, hook_name))

    def select(self, hook_name: str, name: str, kind: str) -> Any:
        """The spec named by configuration, or a startup error listing what is available."""
        table = self.named(hook_name)
        if name not in table:
            available = ", ".join(sorted(table)) or "none"
            raise PluginConflictError(f"{kind} {name!r} is not registered (available: {available})")
        return table[name]

    def report(self) -> list[PluginRecord]:
        return sorted(self.records.values(), key=lambda r: r.name)


def _constant(plugin: object) -> Callable[[], object]:
    return lambda: plugin


def _plugin_name(plugin: object) -> str:
    if isinstance(plugin, types.ModuleType):
        return plugin.__name__.removeprefix("webmacs_")
    return getattr(plugin, "name", None) or type(plugin).__name__


def build_plugin_manager(
    *,
    plugins: Iterable[object | tuple[str, object]] = (),
    entrypoints: bool = True,
    blocked: Iterable[str] = (),
    strict: bool = False,
) -> WebmacsPluginManager:
    """A fresh manager with the catalogue, the essential core plugin and the requested plugins."""
    pm = WebmacsPluginManager()
    pm.load(plugins=plugins, entrypoints=entrypoints, blocked=blocked, strict=strict)
    return pm
