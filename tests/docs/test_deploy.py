"""The shipped deployment files (deploy/) run commands that exist and set settings that exist."""

import configparser
import importlib.metadata
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import attrs
import pytest

from webmacs_controller.settings import ControllerSettings
from webmacs_core.cli import build_parser
from webmacs_core.plugins import build_plugin_manager
from webmacs_core.settings import Settings
from webmacs_sdk.settings import production_secret_key_problem

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
#: Where the operator guides install each virtual environment, and the distribution installed there.
ENVIRONMENTS = {
    "/opt/webmacs/bin": "webmacs",
    "/opt/webmacs-controller/bin": "webmacs-controller",
    "/opt/webmacs-ab/current/bin": "webmacs",  # the A/B installations of docs/ota.md
    "/opt/webmacs-controller-ab/current/bin": "webmacs-controller",
}
UNITS = sorted(path.name for path in (DEPLOY / "systemd").glob("*.service"))


def _unit(name):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def _env_file(path):
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def _console_script(name):
    found = [ep for ep in importlib.metadata.entry_points(group="console_scripts") if ep.name == name]
    assert found, f"no installed distribution provides the command {name!r}"
    return found[0]


@pytest.fixture(scope="module")
def plugin_manager():
    return build_plugin_manager(strict=True)


def test_the_units_of_the_guides_are_shipped():
    assert {"webmacs.service", "webmacs-controller.service"} <= set(UNITS)


@pytest.mark.parametrize("unit", UNITS)
def test_unit_runs_a_command_of_the_distribution_installed_there(unit, plugin_manager):
    service = _unit(unit)["Service"]
    command = shlex.split(service["ExecStart"])
    folder, script = command[0].rsplit("/", 1)
    assert folder in ENVIRONMENTS, f"{unit} runs {command[0]}, outside the environments of the install guide"
    entry_point = _console_script(script)
    assert entry_point.dist.name == ENVIRONMENTS[folder]
    assert callable(entry_point.load())
    if script == "webmacs":  # its sub-command and options exist (plugins add sub-commands)
        assert build_parser(plugin_manager).parse_args(command[1:]).command
    assert service["WorkingDirectory"] == f"/var/lib/{service['StateDirectory']}"
    assert service["WorkingDirectory"] in service["ReadWritePaths"].split()
    assert (DEPLOY / "etc" / Path(service["EnvironmentFile"]).name).is_file()


def test_server_unit_runs_the_serve_command(plugin_manager):
    command = shlex.split(_unit("webmacs.service")["Service"]["ExecStart"])
    args = build_parser(plugin_manager).parse_args(command[1:])
    assert args.command == "serve"


def _server_setting_names(pm):
    names = {f.name for f in attrs.fields(Settings)}
    tables = {spec.name: {f.name for f in attrs.fields(spec.cls)} for spec in pm.collect("webmacs_settings_model")}
    return names, tables


def test_server_environment_file_sets_only_real_settings(plugin_manager):
    core, plugins = _server_setting_names(plugin_manager)
    known = {"WEBMACS_" + name.upper() for name in core.union(*plugins.values())} | {"WEBMACS_CONFIG"}
    env = _env_file(DEPLOY / "etc" / "webmacs.env")
    assert not set(env) - known, f"unknown settings in webmacs.env: {sorted(set(env) - known)}"
    assert env["WEBMACS_CONFIG"] == "/etc/webmacs/webmacs.toml"
    # A copy installed without editing its placeholder key does not start.
    assert env["WEBMACS_ENV"] == "production"
    assert production_secret_key_problem(env["WEBMACS_ENV"], env["WEBMACS_SECRET_KEY"]) is not None


def test_server_toml_file_loads_and_names_only_real_settings(plugin_manager):
    core, plugins = _server_setting_names(plugin_manager)
    path = DEPLOY / "etc" / "webmacs.toml"
    settings = Settings.load({"WEBMACS_CONFIG": str(path)})
    assert settings.trusted_proxies == ("127.0.0.1", "::1")
    table = tomllib.loads(path.read_text())
    assert not set(table["server"]) - core
    for plugin, keys in table.get("plugins", {}).items():
        assert plugin in plugins, f"[plugins.{plugin}] is not a plugin with settings"
        assert not set(keys) - plugins[plugin], f"unknown keys in [plugins.{plugin}]"
        spec_cls = next(s.cls for s in plugin_manager.collect("webmacs_settings_model") if s.name == plugin)
        section = settings.section(plugin, spec_cls)
        for key, value in keys.items():
            assert getattr(section, key) == value


def test_controller_environment_file_loads():
    env = _env_file(DEPLOY / "etc" / "controller.env")
    known = {"WEBMACS_" + f.name.upper() for f in attrs.fields(ControllerSettings) if f.name != "extra"}
    assert not set(env) - known, f"unknown settings in controller.env: {sorted(set(env) - known)}"
    settings = ControllerSettings.load(env)
    assert settings.telemetry_url == "wss://webmacs.example.org:443/ws/controller/telemetry"
    assert settings.is_production


def test_nginx_site_upgrades_websockets_to_the_server_port():
    site = (DEPLOY / "nginx" / "webmacs.conf").read_text()
    assert "server 127.0.0.1:8000;" in site and Settings().port == 8000
    ws = site[site.index("location /ws/"):]
    ws = ws[: ws.index("}")]
    assert "proxy_set_header Upgrade    $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws


def test_units_pass_systemd_analyze_verify(tmp_path):
    """systemd itself reads the units: unknown keys, bad values and bad sections are reported.

    ExecStart is pointed at this checkout's commands, which exist, instead of /opt (which does not).
    """
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is needed (Debian package systemd)"
    units = []
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text()
        for folder in ENVIRONMENTS:
            text = text.replace(folder + "/", str(Path(sys.executable).parent) + "/")
        (tmp_path / unit).write_text(text)
        units.append(str(tmp_path / unit))
    proc = subprocess.run([tool, "verify", *units], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), proc.stdout + proc.stderr
