"""Wheel building helpers for the package tests: real wheels, written with ``zipfile`` and a correct
RECORD, which individual tests then corrupt in one specific way."""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import sys
import uuid
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

DRIVER_SOURCE = '''
from webmacs_sdk.device import ChannelDescriptor, ChannelDirection, DevicePlugin, PluginMeta
from webmacs_sdk.markers import hookimpl


class Probe(DevicePlugin):
    """A two-channel test driver shipped in an uploaded wheel."""

    meta = PluginMeta(id="{plugin_id}", name="Acme Probe", version="{version}", vendor="Acme",
                      description="Uploaded test driver", url="https://example.com/probe")

    def get_channels(self):
        return [
            ChannelDescriptor(id="level", name="Level", direction=ChannelDirection.INPUT, unit="mm",
                              min_value=0, max_value=500),
            ChannelDescriptor(id="pump", name="Pump", direction=ChannelDirection.OUTPUT, unit="%",
                              safe_value=0),
        ]

    async def _do_connect(self):
        pass

    async def _do_disconnect(self):
        pass

    async def _do_read(self, channel_id):
        return 1.0

    async def _do_write(self, channel_id, value):
        pass


@hookimpl
def webmacs_register_drivers():
    return [Probe]
'''


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@dataclass
class WheelSpec:
    """A wheel to build; every field can be bent by a test to make one specific bad wheel."""

    module: str
    version: str = "1.0"
    dist: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    metadata: bytes | None = None
    entry_points: bytes | None = None
    wheel: bytes = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record: bool = True
    #: Members written after RECORD was computed: (ZipInfo or name, data); they are not in RECORD.
    unrecorded: list[tuple[zipfile.ZipInfo | str, bytes]] = field(default_factory=list)
    tamper: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dist = self.dist or self.module.replace("_", "-")
        if not self.files:
            source = DRIVER_SOURCE.replace("{plugin_id}", self.module).replace("{version}", self.version)
            self.files = {f"{self.module}/__init__.py": source.encode()}
        if self.metadata is None:
            self.metadata = f"Metadata-Version: 2.1\nName: {self.dist}\nVersion: {self.version}\n".encode()
        if self.entry_points is None:
            self.entry_points = f"[webmacs.plugins]\n{self.module} = {self.module}\n".encode()

    @property
    def dist_info(self) -> str:
        return f"{self.dist.replace('-', '_')}-{self.version}.dist-info"

    @property
    def filename(self) -> str:
        return f"{self.dist.replace('-', '_')}-{self.version}-py3-none-any.whl"

    def build(self) -> bytes:
        members: dict[str, bytes] = dict(self.files)
        members[f"{self.dist_info}/METADATA"] = self.metadata or b""
        members[f"{self.dist_info}/WHEEL"] = self.wheel
        if self.entry_points:
            members[f"{self.dist_info}/entry_points.txt"] = self.entry_points
        lines = [f"{name},{record_hash(data)},{len(data)}" for name, data in members.items()]
        lines.append(f"{self.dist_info}/RECORD,,")
        if self.record:
            members[f"{self.dist_info}/RECORD"] = ("\n".join(lines) + "\n").encode()
        members.update(self.tamper)
        out = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names are written on purpose
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in members.items():
                    zf.writestr(name, data)
                for info, data in self.unrecorded:
                    zf.writestr(info, data)
        return out.getvalue()


@pytest.fixture
def wheel_spec() -> Callable[..., WheelSpec]:
    """``wheel_spec(**overrides)``: a valid driver wheel with a module name unique to this test."""

    def make(**overrides: object) -> WheelSpec:
        module = str(overrides.pop("module", f"acme_{uuid.uuid4().hex[:8]}"))
        return WheelSpec(module=module, **overrides)  # type: ignore[arg-type]

    return make


@pytest.fixture(autouse=True)
def restore_import_state() -> Iterator[None]:
    """Each app appends its plugin directory to ``sys.path``; undo that between tests."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if name.startswith("acme_"):
            del sys.modules[name]
    importlib.invalidate_caches()
