"""Static description of a device driver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PluginMeta:
    """Identity of a driver class, set as its ``meta`` class attribute.

    ``id`` keys the driver everywhere (registry, server catalogue, ``plugin_id`` of instances); it must be
    lower-case without spaces.
    """

    id: str
    name: str
    version: str
    vendor: str = ""
    description: str = ""
    protocol: str = ""
    url: str = ""
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return all eight fields as a JSON-ready dict."""
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "vendor": self.vendor,
            "description": self.description,
            "protocol": self.protocol,
            "url": self.url,
            "tags": list(self.tags),
        }
