"""Settings from the environment and TOML, with clear errors."""

import pytest

from webmacs_core.settings import Settings
from webmacs_sdk.settings import SettingsError


def test_defaults_embed_sqlite():
    settings = Settings.load({})
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.port == 8000


def test_environment_and_toml(tmp_path):
    config = tmp_path / "webmacs.toml"
    config.write_text('[server]\nport = 9000\ncors_origins = ["https://ui.example"]\n'
                      '[plugins.auth]\naccess_token_expire_minutes = 5\n')
    settings = Settings.load({"WEBMACS_CONFIG": str(config), "WEBMACS_DISABLE_PLUGINS": "logs, ota",
                              "WEBMACS_AUTO_MIGRATE": "false"})
    assert settings.port == 9000
    assert settings.cors_origins == ("https://ui.example",)
    assert settings.disable_plugins == ("logs", "ota")
    assert settings.auto_migrate is False
    from webmacs_auth.settings import AuthSettings

    assert settings.section("auth", AuthSettings).access_token_expire_minutes == 5


def test_bad_values_name_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="WEBMACS_PORT"):
        Settings.load({"WEBMACS_PORT": "eighty"})
    with pytest.raises(SettingsError, match="not found"):
        Settings.load({"WEBMACS_CONFIG": str(tmp_path / "missing.toml")})


def test_generated_secret_key_is_persisted(tmp_path):
    settings = Settings.load({}, secret_key_file=tmp_path / "secret")
    first = settings.resolved_secret_key()
    assert len(first) >= 32 and settings.resolved_secret_key() == first
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0
