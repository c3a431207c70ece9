"""Per-instance configuration of a device plugin (pydantic, so the JSON Schema can drive UI forms)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetryPolicy(BaseModel):
    """How the health monitor retries a failed connection: exponential back-off with a cap."""

    model_config = ConfigDict(extra="ignore")

    max_attempts: int = Field(default=5, ge=0, description="0 retries forever")
    base_delay: float = Field(default=1.0, ge=0.1, description="seconds before the first retry")
    max_delay: float = Field(default=60.0, ge=1.0, description="upper bound of one back-off delay")
    backoff_factor: float = Field(default=2.0, ge=1.0)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return float(min(self.base_delay * self.backoff_factor ** max(attempt - 1, 0), self.max_delay))

    def exhausted(self, attempts: int) -> bool:
        """True when ``attempts`` retries used up the budget."""
        return self.max_attempts != 0 and attempts >= self.max_attempts


class PluginInstanceConfig(BaseModel):
    """Settings every instance has; drivers subclass it to add their own fields.

    Unknown keys are ignored so that a server-side config written for a newer driver version does not break
    an older one.
    """

    model_config = ConfigDict(extra="ignore")

    instance_name: str = Field(default="", max_length=100, json_schema_extra={"ui_order": 0})
    demo_mode: bool = Field(default=True, json_schema_extra={"ui_order": 1})
    poll_interval_ms: int = Field(default=1000, ge=50, le=60000, json_schema_extra={"ui_order": 2})
    retry_policy: RetryPolicy = Field(default_factory=RetryPolicy, json_schema_extra={"ui_order": 99})
