"""The hook reference follows the hooks to wherever they are specified: a spec that a plugin adds to
the plugin manager appears under that plugin's module, with its docstring rendered."""

import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "mkdocs_hooks"))

import hook_reference

from webmacs_core.plugins import build_plugin_manager
from webmacs_sdk import hookimpl
from webmacs_sdk.markers import hookspec

KILN_SPECS = '''
"""Extension points of the kiln plugin."""


def webmacs_kiln_profiles(kiln):
    """Contribute firing profiles to a kiln.

    Sync; called when the kiln page renders. Returns :class:`~acme.Profile` objects.

    :param kiln: the kiln, a ``Kiln``.
    :returns: profiles.

    Example::

        @hookimpl
        def webmacs_kiln_profiles(kiln):
            return [Profile("bisque")]

    .. versionadded:: 2.1
    """
'''


def test_a_spec_added_by_a_plugin_is_documented_under_its_module():
    specs = types.ModuleType("acme_kiln.hookspecs")
    exec(compile(KILN_SPECS, "acme_kiln/hookspecs.py", "exec"), specs.__dict__)
    specs.webmacs_kiln_profiles = hookspec(specs.webmacs_kiln_profiles)

    class Glazes:
        @hookimpl
        def webmacs_kiln_profiles(self, kiln):
            return []

    pm = build_plugin_manager(entrypoints=False)
    pm.add_hookspecs(specs)
    pm.register(Glazes(), name="glazes")

    page = hook_reference.render(pm, "# Hooks")
    section = page[page.index("## `acme_kiln.hookspecs`"):]
    assert "Extension points of the kiln plugin." in section
    assert "def webmacs_kiln_profiles(kiln)" in section
    assert "| `kiln` | the kiln, a `Kiln`. |" in section
    assert "`acme.Profile`" in section and ":class:" not in section
    assert "```python\n@hookimpl\ndef webmacs_kiln_profiles(kiln):" in section
    assert "*Implemented by:* `glazes`. *Added in 2.1.*" in section
    assert page.index("## `webmacs_core.hookspecs`") < page.index("## `acme_kiln.hookspecs`")
