"""The SDK's top-level names are imported on first use; every one listed must resolve."""

import importlib

import pytest

import webmacs_sdk
import webmacs_sdk.device


@pytest.mark.parametrize("package", [webmacs_sdk, webmacs_sdk.device])
def test_every_public_name_resolves_from_where_the_table_says(package: object) -> None:
    home = package._HOME  # type: ignore[attr-defined]
    assert sorted(package.__all__) == sorted(home), "add the name to __all__ and to _MODULES"  # type: ignore[attr-defined]
    for name in package.__all__:  # type: ignore[attr-defined]
        module = home[name] if "." in home[name] else f"{package.__name__}.{home[name]}"  # type: ignore[attr-defined]
        assert getattr(package, name) is getattr(importlib.import_module(module), name)
    with pytest.raises(AttributeError):
        _ = package.no_such_name  # type: ignore[attr-defined]
