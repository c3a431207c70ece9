from pathlib import Path

import pytest

from webmacs_controller.bridge import instance_config
from webmacs_controller.settings import ControllerSettings, SettingsError


def test_env_overrides_toml(tmp_path: Path) -> None:
    toml = tmp_path / "controller.toml"
    toml.write_text('server_url = "http://edge.local"\npoll_interval = 0.5\nspool_max_bytes = 1000000\n')
    s = ControllerSettings.load(
        {
            "WEBMACS_CONTROLLER_CONFIG": str(toml),
            "WEBMACS_POLL_INTERVAL": "2",
            "WEBMACS_SAFE_STATE_AFTER": "5",
        }
    )
    assert s.server_url == "http://edge.local"
    assert s.poll_interval == 2.0
    assert s.spool_max_bytes == 1_000_000
    assert s.safe_state_after == 5.0
    assert s.api_base == "http://edge.local:8000/api/v1"
    assert s.telemetry_url == "ws://edge.local:8000/ws/controller/telemetry"


def test_toml_keys_may_carry_the_variable_prefix_and_unknown_keys_are_kept_aside(tmp_path: Path) -> None:
    toml = tmp_path / "controller.toml"
    toml.write_text('WEBMACS_SERVER_PORT = 443\ndedup_enabled = true\nvendor_note = "x"\n')
    s = ControllerSettings.load({"WEBMACS_CONTROLLER_CONFIG": str(toml), "WEBMACS_AUTO_SEED": "off"})
    assert (s.server_port, s.dedup_enabled, s.auto_seed) == (443, True, False)
    assert s.extra == {"vendor_note": "x"}


def test_bad_values_are_one_line_naming_the_variable(tmp_path: Path) -> None:
    """The SDK's loader, as the server's settings: the same types and the same messages."""
    with pytest.raises(SettingsError) as bad_bool:
        ControllerSettings.load({"WEBMACS_DEDUP_ENABLED": "maybe"})
    assert str(bad_bool.value) == "WEBMACS_DEDUP_ENABLED: expected a boolean, got 'maybe'"
    with pytest.raises(SettingsError) as bad_port:
        ControllerSettings.load({"WEBMACS_SERVER_PORT": "eighty"})
    assert str(bad_port.value) == "WEBMACS_SERVER_PORT: expected a number, got 'eighty'"
    toml = tmp_path / "controller.toml"
    toml.write_text("poll_interval = true\n")
    with pytest.raises(SettingsError, match="poll_interval: expected a number, got True"):
        ControllerSettings.load({"WEBMACS_CONTROLLER_CONFIG": str(toml)})
    with pytest.raises(SettingsError, match="settings file not found"):
        ControllerSettings.load({"WEBMACS_CONTROLLER_CONFIG": str(tmp_path / "missing.toml")})
    toml.write_text("poll_interval = \n")
    with pytest.raises(SettingsError, match="is not valid TOML"):
        ControllerSettings.load({"WEBMACS_CONTROLLER_CONFIG": str(toml)})


def test_invalid_values_are_refused() -> None:
    with pytest.raises(SettingsError):
        ControllerSettings.load({"WEBMACS_POLL_INTERVAL": "0.1"})
    with pytest.raises(SettingsError):
        ControllerSettings.load({"WEBMACS_MAX_BATCH_SIZE": "501"})
    with pytest.raises(SettingsError):
        ControllerSettings.load({"WEBMACS_SERVER_PORT": "eighty"})


def test_config_json_string_is_parsed() -> None:
    record = {"instance_name": "RevPi", "demo_mode": False, "config_json": '{"device_filter": ["DIO"]}'}
    assert instance_config(record) == {"instance_name": "RevPi", "demo_mode": False, "device_filter": ["DIO"]}
    assert instance_config({"instance_name": "x", "config_json": "not json"}) == {
        "instance_name": "x",
        "demo_mode": True,
    }
