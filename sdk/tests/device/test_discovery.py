import importlib.metadata
import sys
import types
from collections.abc import Callable, Iterator

import pytest
from drivers import BlockingDevice, MemoryDevice

from webmacs_sdk.device import PluginConfigError, PluginLoadError, PluginRegistry, scan_drivers
from webmacs_sdk.discovery import PluginEntry, find_plugins
from webmacs_sdk.errors import PluginLoadError as ServerPluginLoadError
from webmacs_sdk.markers import hookimpl


@pytest.fixture
def fake_modules() -> Iterator[None]:
    hook_mod = types.ModuleType("fake_hook_driver")

    @hookimpl
    def webmacs_register_drivers() -> list[type]:
        return [MemoryDevice]

    hook_mod.webmacs_register_drivers = webmacs_register_drivers  # type: ignore[attr-defined]
    feature_mod = types.ModuleType("fake_feature_plugin")  # a server feature plugin: no drivers
    class_mod = types.ModuleType("fake_class_driver")
    class_mod.Blocking = BlockingDevice  # type: ignore[attr-defined]
    class_mod.NotADriver = dict  # type: ignore[attr-defined]
    bad_hook = types.ModuleType("fake_bad_hook")

    @hookimpl(specname="webmacs_register_drivers")
    def broken() -> list[type]:
        raise RuntimeError("boom")

    bad_hook.broken = broken  # type: ignore[attr-defined]
    mods = {m.__name__: m for m in (hook_mod, feature_mod, class_mod, bad_hook)}
    sys.modules.update(mods)
    yield
    for name in mods:
        sys.modules.pop(name, None)


def ep(name: str, value: str) -> PluginEntry:
    point = importlib.metadata.EntryPoint(name=name, value=value, group="webmacs.plugins")
    return PluginEntry(name, "driver", point, None, None, None)


def test_discovery_accepts_hook_modules_and_classes(fake_modules: None) -> None:
    report = scan_drivers(
        [
            ep("memory_pkg", "fake_hook_driver"),
            ep("feature", "fake_feature_plugin"),
            ep("blocking", "fake_class_driver:Blocking"),
        ]
    )
    assert report.drivers == {"memory": MemoryDevice, "blocking": BlockingDevice}
    assert report.failures == {}


def test_broken_entry_points_are_reported_not_fatal(fake_modules: None) -> None:
    report = scan_drivers(
        [
            ep("missing", "no_such_module_anywhere"),
            ep("notadriver", "fake_class_driver:NotADriver"),
            ep("bad", "fake_bad_hook"),
            ep("memory_pkg", "fake_hook_driver"),
            ep("dup", "fake_class_driver:Blocking"),
            ep("dup2", "fake_class_driver:Blocking"),
        ]
    )
    assert set(report.drivers) == {"memory", "blocking"}
    assert set(report.failures) == {"missing", "notadriver", "bad"}
    assert "boom" in report.failures["bad"]


async def test_registry_instances() -> None:
    registry = PluginRegistry()
    registry.register_plugin_class(MemoryDevice)
    assert [m.id for m in registry.get_available_plugins()] == ["memory"]
    with pytest.raises(PluginLoadError):
        registry.create_instance("nope", {})
    with pytest.raises(PluginConfigError):
        registry.create_instance("memory", {"poll_interval_ms": 1})
    first = registry.create_instance("memory", {"demo_mode": False})
    registry.create_instance("memory", {"demo_mode": False}, instance_id="abc")
    assert set(registry.list_instances()) == {"memory-1", "abc"}
    assert await registry.connect_all() == {}
    first.fail_io = True  # type: ignore[attr-defined]
    readings = await registry.read_all_inputs()
    # the failing instance's None values are omitted; the healthy one reports both readable channels
    assert sorted((r["instance_id"], r["channel_id"]) for r in readings) == [
        ("abc", "level"),
        ("abc", "temperature"),
    ]
    assert await registry.write("abc", "valve", 500) == 100
    await registry.remove_instance("abc")
    assert registry.get_instance("abc") is None
    await registry.disconnect_all()
    assert "memory-1" in registry.get_health_reports()


def test_installed_simulated_driver_is_discovered() -> None:
    registry = PluginRegistry()
    found = registry.discover()
    assert "simulated" in found


FEATURE_SOURCE = "import sys\nsys.modules[__name__].imported = True\n"
DRIVER_SOURCE = """
from webmacs_sdk.markers import hookimpl
from drivers import MemoryDevice

@hookimpl
def webmacs_register_drivers():
    return [MemoryDevice]
"""
CLASS_SOURCE = "from drivers import BlockingDevice as Blocking\n"


def test_drivers_are_told_apart_from_feature_plugins_without_importing_them(
    fake_distribution: Callable[..., object],
) -> None:
    fake_distribution(
        "acme-feature", {"acme_feature": "acme_feature_mod"}, {"acme_feature_mod": FEATURE_SOURCE}
    )
    fake_distribution(
        "acme-driver",
        {"acme_driver": "acme_driver_mod"},
        {"acme_driver_mod": DRIVER_SOURCE},
        drivers={"acme_driver": "acme_driver_mod"},
    )
    fake_distribution(
        "acme-upstream", {"acme_upstream": "acme_upstream_mod:Blocking"}, {"acme_upstream_mod": CLASS_SOURCE}
    )
    kinds = {entry.name: entry.kind for entry in find_plugins() if entry.name.startswith("acme_")}
    assert kinds == {"acme_feature": "feature", "acme_driver": "driver", "acme_upstream": "driver"}
    assert {e.name for e in find_plugins("driver")} >= {"acme_driver", "acme_upstream", "simulated"}
    assert "users" not in {e.name for e in find_plugins("driver")}

    report = scan_drivers()
    assert report.drivers["memory"] is MemoryDevice
    assert report.drivers["blocking"] is BlockingDevice
    assert report.sources["memory"].distribution == "acme-driver"
    assert "acme_feature_mod" not in sys.modules
    for name in ("acme_driver_mod", "acme_upstream_mod"):
        sys.modules.pop(name, None)


def test_one_load_error_for_server_and_drivers() -> None:
    assert PluginLoadError is ServerPluginLoadError
    assert str(PluginLoadError("modbus", "Plugin not installed")) == "[modbus] Plugin not installed"
