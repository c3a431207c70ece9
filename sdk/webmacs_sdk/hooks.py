"""Calling hooks: always through ``pm.hook.<name>(...)``, so pluggy's tracing and monitors see the call.

pluggy stops a call at the first implementation that raises. Notification hooks must not:
one broken plugin may not silence the others. :func:`call_hook` therefore asks pluggy to call
every implementation *attributed*: the plugin manager wraps each implementation (see
:func:`attribute_impl`) so that, inside such a call, it returns an :class:`ImplResult` naming
its plugin and carrying its value or its exception instead of raising. Awaitable values (``async
def`` implementations) are awaited one after another, each inside ``around()`` when given (a
savepoint, say), and a failure is logged with the plugin's name while the others still run.

Outside :func:`call_hook` and :func:`results_by_plugin` the wrapping is transparent: a plain
``pm.hook.x(...)`` behaves exactly as pluggy documents.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import attrs

log = logging.getLogger(__name__)

#: True only while :func:`call_hook` or :func:`results_by_plugin` is inside ``pm.hook.<name>(...)``.
_ATTRIBUTING: contextvars.ContextVar[bool] = contextvars.ContextVar("webmacs_hook_attributing", default=False)


@attrs.frozen
class ImplResult:
    """What one implementation gave inside an attributed call: its value, or the exception it raised."""

    plugin: str
    value: Any = None
    error: BaseException | None = None


@attrs.frozen
class HookOutcome:
    """The non-``None`` values of a call (awaited) and the implementations that failed."""

    results: list[Any]
    failures: list[tuple[str, BaseException]]


def attribute_impl(impl: Any) -> None:
    """Wrap a pluggy ``HookImpl`` so that it answers attributed calls with an :class:`ImplResult`.

    The plugin manager does this once for each implementation it registers. The original
    function stays reachable as ``impl.function.__wrapped__`` (``inspect.unwrap``).
    """
    function: Callable[..., Any] = impl.function
    if impl.wrapper or impl.hookwrapper or hasattr(function, "__wrapped__"):
        return
    plugin = impl.plugin_name

    @functools.wraps(function)
    def attributed(*args: Any, **kwargs: Any) -> Any:
        if not _ATTRIBUTING.get():
            return function(*args, **kwargs)
        # Hooks the implementation calls in turn are plain calls again.
        token = _ATTRIBUTING.set(False)
        try:
            return ImplResult(plugin, function(*args, **kwargs))
        except Exception as exc:
            return ImplResult(plugin, error=exc)
        finally:
            _ATTRIBUTING.reset(token)

    impl.function = attributed


def is_async_impl(impl: Any) -> bool:
    """True if the implementation, under any attribution wrapper, is an ``async def``."""
    return inspect.iscoroutinefunction(inspect.unwrap(impl.function))


def _attributed_call(caller: Any, kwargs: dict[str, Any]) -> list[Any]:
    token = _ATTRIBUTING.set(True)
    try:
        return list(caller(**kwargs))
    finally:
        _ATTRIBUTING.reset(token)


def results_by_plugin(caller: Any, /, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call a sync hook through pluggy and pair each non-``None`` value with its plugin's name.

    For registries that must name both owners of a clash. An exception propagates.
    """
    pairs: list[tuple[str, Any]] = []
    for item in _attributed_call(caller, kwargs):
        if not isinstance(item, ImplResult):  # a manager that did not attribute its impls
            pairs.append(("?", item))
            continue
        if item.error is not None:
            raise item.error
        if item.value is not None:
            pairs.append((item.plugin, item.value))
    return pairs


def named_results(caller: Any, /, **kwargs: Any) -> dict[str, Any]:
    """The specs a registration hook returned, keyed by ``spec.name``, in registration order.

    :raises PluginConflictError: two plugins register the same name (the message names both).
    """
    from webmacs_sdk.errors import PluginConflictError

    table: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for plugin, specs in reversed(results_by_plugin(caller, **kwargs)):
        for spec in specs:
            if spec.name in table:
                raise PluginConflictError(
                    f"{caller.name}: {spec.name!r} is registered by both {owners[spec.name]!r} and {plugin!r}"
                )
            table[spec.name] = spec
            owners[spec.name] = plugin
    return table


async def call_hook(
    caller: Any,
    /,
    *,
    around: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
    **kwargs: Any,
) -> HookOutcome:
    """Call ``caller`` (``pm.hook.<name>``) with ``kwargs``, await async results, isolate failures.

    Sync implementations run during the pluggy call, in pluggy's order; the bodies of async
    ones run afterwards, in the same order, each inside ``around()`` when given. A failing
    implementation is logged with its plugin's name and reported in ``failures``; the others
    still run. ``results`` holds the non-``None`` values.
    """
    name = getattr(caller, "name", "hook")
    try:
        items = _attributed_call(caller, kwargs)
    except Exception as exc:  # a manager that did not attribute its impls: pluggy stopped at the failure
        log.exception("%s failed", name)
        return HookOutcome([], [("?", exc)])
    outcome = HookOutcome([], [])
    for raw in items:
        item = raw if isinstance(raw, ImplResult) else ImplResult("?", raw)
        value = item.value
        try:
            if item.error is not None:
                raise item.error
            if inspect.isawaitable(value):
                if around is None:
                    value = await value
                else:
                    async with around():
                        value = await value
        except Exception as exc:
            if inspect.iscoroutine(value):
                value.close()  # never started when ``around()`` itself failed
            log.exception("%s of plugin %r failed", name, item.plugin)
            outcome.failures.append((item.plugin, exc))
            continue
        if value is not None:
            outcome.results.append(value)
    return outcome


__all__ = [
    "HookOutcome", "ImplResult", "attribute_impl", "call_hook", "is_async_impl", "named_results", "results_by_plugin",
]
