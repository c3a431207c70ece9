"""Settings of the rules plugin (``WEBMACS_*`` variables)."""

import attrs


@attrs.frozen
class RulesSettings:
    """How often the in-memory rule index is re-read (rule changes made here apply at once)."""

    rules_reload_seconds: float = 30.0
