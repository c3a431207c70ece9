"""One plugin directory: the core's setting, read by the plugin manager too, however it is set."""

from pathlib import Path
from typing import Any

from webmacs_pluginmgr.packages_api import plugin_dir_for
from webmacs_sdk.keys import SETTINGS
from webmacs_sdk.plugindir import site_packages

PLUGINS = ("users", "auth", "events", "plugins")


async def test_a_plugin_dir_set_in_the_toml_file_is_the_one_uploads_go_to(make_client: Any, tmp_path: Path) -> None:
    folder = tmp_path / "from-toml"
    config = tmp_path / "webmacs.toml"
    config.write_text(f'[server]\nplugin_dir = "{folder}"\n')
    client = await make_client(*PLUGINS, env={"WEBMACS_CONFIG": str(config)})
    paths = plugin_dir_for(client.app).paths
    assert paths.root == folder.resolve()
    # The folder the core puts on the import path is the one the plugin manager installs into.
    assert paths.site == site_packages(client.app[SETTINGS].plugin_dir) == folder.resolve() / "site-packages"
