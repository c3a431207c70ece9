"""One settings loader: cattrs structures text from the environment and typed values from TOML alike."""

from pathlib import Path

import attrs
import pytest

from webmacs_sdk.settings import SettingsError, load_settings


@attrs.frozen
class Kiln:
    enabled: bool = False
    zones: int = 1
    limit: float = 900.0
    sensors: tuple[str, ...] = ()
    log_dir: Path | None = None


def test_environment_text_and_toml_values_give_the_same_settings():
    from_env = load_settings(Kiln, {}, {"WEBMACS_ENABLED": "on", "WEBMACS_ZONES": "3", "WEBMACS_LIMIT": "950.5",
                                        "WEBMACS_SENSORS": "a, b", "WEBMACS_LOG_DIR": "/var/log/kiln"})
    from_toml = load_settings(Kiln, {"enabled": True, "zones": 3, "limit": 950.5, "sensors": ["a", "b"],
                                     "log_dir": "/var/log/kiln"})
    assert from_env == from_toml == Kiln(True, 3, 950.5, ("a", "b"), Path("/var/log/kiln"))
    assert load_settings(Kiln, {"zones": 2}, {"WEBMACS_ZONES": "4", "WEBMACS_SENSORS": '["x"]'}).zones == 4
    assert load_settings(Kiln, {}, {"WEBMACS_LOG_DIR": ""}).log_dir is None


@pytest.mark.parametrize(("environ", "message"), [
    ({"WEBMACS_ZONES": "three"}, "WEBMACS_ZONES: expected a number"),
    ({"WEBMACS_ENABLED": "maybe"}, "WEBMACS_ENABLED: expected a boolean"),
    ({"WEBMACS_SENSORS": '["a",'}, "WEBMACS_SENSORS: invalid JSON list"),
])
def test_a_value_that_cannot_be_used_names_its_variable(environ, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(Kiln, {}, environ)
