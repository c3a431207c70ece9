import pytest

from webmacs_sdk.device import (
    CapabilityNotFoundError,
    ChannelDescriptor,
    ChannelDirection,
    ConversionSpec,
    PluginConfigError,
    PluginInstanceConfig,
    PluginMeta,
    PluginStateError,
    RetryPolicy,
    SimulationSpec,
    register_conversion,
)
from webmacs_sdk.device.simulation import Simulator


def test_linear_conversion_round_trips() -> None:
    spec = ConversionSpec(type="linear", scale=0.01, offset=-5)
    assert spec.convert(1500) == pytest.approx(10.0)
    assert spec.invert(10.0) == pytest.approx(1500)


def test_divide_and_zero_guards() -> None:
    assert ConversionSpec(type="divide", divisor=10).convert(215) == 21.5
    assert ConversionSpec(type="divide", divisor=10).invert(21.5) == 215
    assert ConversionSpec(type="divide", divisor=0).convert(5) == 0
    assert ConversionSpec(type="linear", scale=0).invert(5) == 0


def test_clamp_conversion_and_unknown_type() -> None:
    spec = ConversionSpec(type="clamp", min=0, max=10)
    assert spec.convert(42) == 10
    assert spec.invert(42) == 42
    assert ConversionSpec(type="does-not-exist").convert(3.5) == 3.5


def test_register_custom_conversion() -> None:
    register_conversion("fahrenheit", lambda v, p: (v - 32) / 1.8, lambda v, p: v * 1.8 + 32)
    spec = ConversionSpec(type="fahrenheit")
    assert spec.convert(212) == pytest.approx(100)
    assert spec.invert(0) == pytest.approx(32)


def test_conversion_params_survive_json_round_trip() -> None:
    spec = ConversionSpec(type="linear", scale=2, offset=1)
    again = ConversionSpec.model_validate_json(spec.model_dump_json())
    assert again.convert(3) == 7


def _channel(**sim: object) -> ChannelDescriptor:
    return ChannelDescriptor(
        id="c",
        name="C",
        direction=ChannelDirection.INPUT,
        unit="x",
        min_value=0,
        max_value=10,
        simulation=SimulationSpec(**sim),
    )


def test_simulation_profiles() -> None:
    sim = Simulator("seed")
    assert sim.sample(_channel(profile="constant", base_value=4), 12.0) == 4
    sine = _channel(profile="sine_wave", base_value=5, amplitude=2, period_seconds=40)
    assert sim.sample(sine, 10.0) == 7.0  # quarter period = crest
    saw = _channel(profile="sawtooth", base_value=5, amplitude=2, period_seconds=10)
    assert sim.sample(saw, 0.0) == 3.0
    assert sim.sample(saw, 5.0) == 5.0
    step = _channel(profile="step", base_value=5, amplitude=1, period_seconds=10)
    assert [sim.sample(step, t) for t in (1, 11, 21)] == [6, 4, 6]


def test_simulation_clamps_and_rounds() -> None:
    sim = Simulator("seed")
    wild = _channel(profile="sine_wave", base_value=5, amplitude=100, period_seconds=40, noise=0.123)
    values = [sim.sample(wild, t / 3) for t in range(200)]
    assert min(values) == 0 and max(values) == 10
    assert all(round(v, 3) == v for v in values)


def test_simulation_is_seeded_per_instance() -> None:
    walk = _channel(profile="random_walk", base_value=5, amplitude=1)
    a = [Simulator("a").sample(walk, 0) for _ in range(1)]
    assert a == [Simulator("a").sample(walk, 0)]
    assert [Simulator("a").sample(walk, 0)] != [Simulator("b").sample(walk, 0)]


def test_channel_clamp_and_capabilities() -> None:
    out = ChannelDescriptor(id="o", name="O", direction="output", unit="%", min_value=10, max_value=20)
    assert out.clamp(5) == 10 and out.clamp(25) == 20
    assert out.is_writable and not out.is_readable
    assert out.direction is ChannelDirection.OUTPUT


def test_meta_to_dict() -> None:
    meta = PluginMeta(id="x", name="X", version="1", tags=["a"])
    assert meta.to_dict() == {
        "id": "x",
        "name": "X",
        "version": "1",
        "vendor": "",
        "description": "",
        "protocol": "",
        "url": "",
        "tags": ["a"],
    }


def test_instance_config_defaults_bounds_and_schema() -> None:
    cfg = PluginInstanceConfig.model_validate({"instance_name": "a", "unknown": 1})
    assert cfg.demo_mode is True and cfg.poll_interval_ms == 1000
    assert cfg.retry_policy.max_attempts == 5
    with pytest.raises(ValueError):
        PluginInstanceConfig.model_validate({"poll_interval_ms": 10})
    schema = PluginInstanceConfig.model_json_schema()
    assert schema["properties"]["demo_mode"]["ui_order"] == 1
    assert "RetryPolicy" in schema["$defs"]


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(base_delay=1, backoff_factor=2, max_delay=5, max_attempts=3)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
    assert not policy.exhausted(2) and policy.exhausted(3)
    assert not RetryPolicy(max_attempts=0).exhausted(10_000)


def test_error_messages_name_the_plugin() -> None:
    assert str(PluginConfigError("modbus", "bad port")) == "[modbus] bad port"
    err = CapabilityNotFoundError("modbus", "temp")
    assert str(err) == "[modbus] Channel 'temp' not found" and err.channel_id == "temp"
    assert "connected" in str(PluginStateError("modbus", "configured", "connected"))
