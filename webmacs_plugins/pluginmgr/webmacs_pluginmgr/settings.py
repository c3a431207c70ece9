"""Settings of the plugin management plugin (``WEBMACS_*`` variables)."""

import attrs


@attrs.frozen
class PluginMgrSettings:
    """How large uploaded plugin wheels may be and how fresh the enabled-events filter must be."""

    # The plugin directory itself is the core's setting ``plugin_dir`` (``app[SETTINGS]``): the
    # core searches its site-packages for plugins, so there is exactly one.
    #: Largest accepted wheel upload, in bytes (contract: 50 MB).
    max_wheel_bytes: int = 50 * 1024 * 1024
    #: Seconds the ingestion filter trusts its set of enabled events when nothing changed through
    #: this plugin's routes (events can be deleted by other plugins).
    active_events_ttl_seconds: float = 2.0
    #: Wall-clock seconds (and CPU seconds) the driver code of an uploaded package may take when
    #: the server describes it in a separate process; it is killed after that.
    driver_probe_seconds: float = 15.0
    #: Address space, in MiB, of that process.
    driver_probe_memory_mb: int = 1024
