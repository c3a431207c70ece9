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
