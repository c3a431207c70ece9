"""Settings of the OTA plugin (``WEBMACS_*`` variables or ``[plugins.ota]`` in the TOML file)."""

from __future__ import annotations

from pathlib import Path

import attrs

MB = 1024 * 1024


@attrs.frozen
class OtaSettings:
    """Where bundles go, which keys are trusted, and where releases are looked up."""

    #: Uploaded and downloaded bundles, and the staging area where they are checked (``WEBMACS_UPDATE_DIR``).
    update_dir: Path = Path("updates")
    #: Ed25519 public keys whose signatures are trusted: ``ed25519:<base64>`` strings or paths of ``.pub`` files.
    ota_trusted_keys: tuple[str, ...] = ()
    #: Largest bundle accepted (upload, download, and the controller's copy).
    ota_max_bundle_bytes: int = 500 * MB
    #: Largest total size of a bundle's unpacked members (a small archive cannot unpack into a huge one).
    ota_max_unpacked_bytes: int = 2048 * MB
    #: The A/B installation this server runs from; the supervisor sets it for its child (``WEBMACS_OTA_ROOT``).
    #: Unset: bundles are checked and recorded but not installed.
    ota_root: Path | None = None
    #: Repository whose latest GitHub release ``/ota/check`` reports; empty disables the lookup.
    github_repo: str = "stefanposs/webmacs"
    #: Base URL of the GitHub API (a GitHub Enterprise server, or a local stand-in in tests).
    github_api_url: str = "https://api.github.com"
    #: Time limit of the release lookup and of a bundle download.
    ota_check_timeout_seconds: float = 8.0
    ota_download_timeout_seconds: float = 30.0
    #: Destinations allowed although internal (shared with webhooks): CIDR networks and/or host names.
    egress_allow: tuple[str, ...] = ()
