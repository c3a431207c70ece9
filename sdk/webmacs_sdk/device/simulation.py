"""Demo-mode value generator shared by every driver."""

from __future__ import annotations

import math
import random
import time

from .channels import ChannelDescriptor


class Simulator:
    """Produces plausible values for channels from their :class:`SimulationSpec`.

    Seeded from the instance name so two controllers showing the same instance produce the same noise
    sequence, which makes demo data and tests reproducible.
    """

    def __init__(self, seed: str) -> None:
        self._rng = random.Random(seed)
        self._start: float | None = None
        # Last value per channel, so random walks wander from where they were instead of jumping.
        self._walk: dict[str, float] = {}

    def elapsed(self) -> float:
        """Seconds since the first simulated read (the time base starts lazily)."""
        now = time.monotonic()
        if self._start is None:
            self._start = now
        return now - self._start

    def sample(self, channel: ChannelDescriptor, elapsed: float | None = None) -> float:
        """One value for ``channel`` at ``elapsed`` seconds (defaults to now), clamped, 3 decimals."""
        spec = channel.simulation
        t = self.elapsed() if elapsed is None else elapsed
        phase = (t % spec.period_seconds) / spec.period_seconds
        if spec.profile == "sine_wave":
            value = spec.base_value + spec.amplitude * math.sin(2 * math.pi * phase)
        elif spec.profile == "sawtooth":
            value = spec.base_value + spec.amplitude * (2 * phase - 1)
        elif spec.profile == "random_walk":
            previous = self._walk.get(channel.id, spec.base_value)
            # Mean-reverting walk: drifts like a real process value but never runs away from base.
            value = previous + 0.1 * (spec.base_value - previous) + self._rng.gauss(0.0, spec.amplitude * 0.2)
            value = channel.clamp(value)
            self._walk[channel.id] = value
        elif spec.profile == "step":
            high = int(t // spec.period_seconds) % 2 == 0
            value = spec.base_value + (spec.amplitude if high else -spec.amplitude)
        else:
            value = spec.base_value
        if spec.noise:
            value += self._rng.gauss(0.0, spec.noise)
        return round(channel.clamp(value), 3)
