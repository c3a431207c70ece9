"""Records hook calls of a plugin manager, to assert that and how the core called a hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs


@attrs.frozen
class HookCall:
    """One recorded call: hook name and its keyword arguments."""

    name: str
    kwargs: dict[str, Any]


class HookRecorder:
    """Wraps ``pm.add_hookcall_monitoring``; ``calls("webmacs_on_datapoints")`` lists the calls."""

    def __init__(self, pm: Any) -> None:
        self.recorded: list[HookCall] = []
        self._undo: Callable[[], None] = pm.add_hookcall_monitoring(self._before, self._after)

    def _before(self, hook_name: str, hook_impls: Any, kwargs: dict[str, Any]) -> None:
        self.recorded.append(HookCall(hook_name, dict(kwargs)))

    def _after(self, outcome: Any, hook_name: str, hook_impls: Any, kwargs: dict[str, Any]) -> None:
        return None

    def calls(self, name: str) -> list[HookCall]:
        return [call for call in self.recorded if call.name == name]

    def names(self) -> list[str]:
        return [call.name for call in self.recorded]

    def close(self) -> None:
        self._undo()
