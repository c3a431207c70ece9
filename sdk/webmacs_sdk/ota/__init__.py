"""Over-the-air updates, the parts the server and a controller share: signed bundles, the A/B
layout on disk, building a version's environment offline, and the supervisor that switches.

- ``bundle``: the bundle format (``Manifest``, ``TARGETS``), ``check`` (safe unpacking, signature,
  target, version rules, wheel hashes) raising ``BundleRejected``, and ``build``;
- ``signing``: Ed25519 keys and signatures (``load_trusted``, ``verify_any``, ``generate``,
  ``sign``); importing it imports ``cryptography``;
- ``layout``: ``Layout`` (``versions/``, ``current``, ``previous``, ``state/``), ``write_json``,
  ``read_json`` and ``take_json``, ``request_switch`` and ``request_rollback``;
- ``install``: ``build_environment``, a version's environment from the running one plus the
  bundle's wheels, with no package index;
- ``supervising``: the generic ``Supervisor`` with a pluggable ``HealthCheck`` and ``SwitchGuard``.

A controller that takes an update (it runs under ``webmacs-controller supervise``, which sets
``WEBMACS_OTA_ROOT`` for it):

```python
from webmacs_sdk.ota import bundle, signing            # both only when an update is handled:
from webmacs_sdk.ota.install import build_environment  # signing imports cryptography, which the
from webmacs_sdk.ota.layout import Layout, request_switch  # controller's run path must not load

layout = Layout(Path(settings.ota_root))
trusted = signing.load_trusted(keys)                   # "ed25519:<base64>" texts or .pub paths; KeyProblem
checked = bundle.check(downloaded, fresh_dir, trusted, target="controller",
                       running_version=layout.running_version(),
                       max_bytes=..., max_unpacked=...)  # BundleRejected(message, status)
build_environment(layout, checked.manifest.version, checked.wheel_paths)  # InstallFailed
request_switch(layout, checked.manifest.version, record="<anything to match the outcome>")
```

The supervisor then stops the controller (SIGTERM: it keeps its spool), switches ``current``,
starts the new version and waits for ``state/healthy.json`` (written by the new controller once its
first batch is acknowledged); it writes ``state/outcome.json`` (``result`` ``running`` or
``rolled_back`` with ``reason``), which the process that asked reads with ``take_json``.

``cryptography`` comes with the ``ota`` extra (``webmacs-sdk[ota]``, ``webmacs-controller[ota]``);
:func:`signatures_available` tells whether it is installed without importing it.
"""

from __future__ import annotations

import importlib.util


def signatures_available() -> bool:
    """Whether bundle signatures can be checked here (``cryptography`` is installed)."""
    return importlib.util.find_spec("cryptography") is not None
