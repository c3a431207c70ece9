"""Test helpers for plugin authors; the fixtures come from the ``pytest11`` entry point ``webmacs``."""

from webmacs_sdk.testing.recorder import HookRecorder
from webmacs_sdk.testing.waiting import eventually

__all__ = ["HookRecorder", "eventually"]
