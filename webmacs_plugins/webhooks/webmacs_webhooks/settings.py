"""Settings of the webhooks plugin (``WEBMACS_*`` variables).

The defaults keep WebMACS parity: 3 attempts, waits of 2 s then 4 s, 10 s per request.
"""

import attrs


@attrs.frozen
class WebhookSettings:
    """Delivery schedule, limits and the egress allow-list."""

    #: Destinations allowed although internal: CIDR networks and/or host names (``WEBMACS_EGRESS_ALLOW``).
    egress_allow: tuple[str, ...] = ()
    #: Attempts per delivery before it is dead-lettered.
    webhook_max_attempts: int = 3
    #: Wait after attempt n is ``base * 2**(n-1)`` seconds, at most ``max``, spread by ``±jitter``.
    webhook_backoff_base_seconds: float = 2.0
    webhook_backoff_max_seconds: float = 3600.0
    webhook_backoff_jitter: float = 0.1
    #: Multiplies every wait (tests run a ten-minute outage in seconds with 0.01).
    webhook_time_scale: float = 1.0
    #: Whole-request timeout of one attempt.
    webhook_timeout_seconds: float = 10.0
    #: Attempts in flight at once, over all endpoints and per endpoint.
    webhook_concurrency: int = 10
    webhook_endpoint_concurrency: int = 2
    #: How much of a receiver's answer is read (and the first 500 bytes kept in the attempt log).
    webhook_max_response_bytes: int = 65_536
    #: Longest sleep of the dispatcher between outbox scans (new deliveries wake it at once).
    webhook_poll_seconds: float = 5.0
    #: A claimed delivery another process may take over after this long (crash recovery).
    webhook_lease_seconds: float = 120.0
    #: ``sensor.reading`` events are sampled: at most one per event per this many seconds.
    webhook_reading_interval_seconds: float = 5.0
