"""``webmacs ota keygen|bundle|verify|init`` and ``webmacs supervise``, added through the CLI hook.

Every failure is one line on stderr and exit status 1 (2 for usage errors, as argparse does).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from webmacs_sdk.ota import bundle, signing


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    ota = subparsers.add_parser("ota", help="over-the-air updates: keys, signed bundles, installation")
    sub = ota.add_subparsers(dest="ota_command", metavar="OTA_COMMAND", required=True)

    keygen = sub.add_parser("keygen", help="make an Ed25519 signing key pair (NAME.key and NAME.pub)")
    keygen.add_argument("name", type=Path, help="path and base name of the two files, e.g. keys/release")
    keygen.set_defaults(func=_keygen)

    make = sub.add_parser("bundle", help="bundle and sign wheels into an update tar.gz")
    make.add_argument("wheels", nargs="+", type=Path, help="the wheels of the new version")
    make.add_argument("--key", required=True, type=Path, help="private key (PEM) made by 'webmacs ota keygen'")
    make.add_argument("--version", help="version of the bundle (default: the version of the webmacs wheel)")
    make.add_argument("--min-from", dest="min_from", default="0.0.0",
                      help="oldest version that may update to this bundle (default 0.0.0)")
    make.add_argument("--target", action="append", choices=bundle.TARGETS, dest="targets",
                      help="server and/or controller (repeatable; default server)")
    make.add_argument("--out", type=Path, help="output file (default webmacs-update-<version>.tar.gz)")
    make.set_defaults(func=_bundle)

    verify = sub.add_parser("verify", help="check a bundle's signature, manifest and wheels")
    verify.add_argument("bundle", type=Path)
    verify.add_argument("--key", action="append", dest="keys", default=[],
                        help="trusted public key (ed25519:... or a .pub file); default WEBMACS_OTA_TRUSTED_KEYS")
    verify.add_argument("--target", choices=bundle.TARGETS, default="server")
    verify.add_argument("--running", help="also apply the version rules against this running version")
    verify.set_defaults(func=_verify)

    init = sub.add_parser("init", help="create an A/B installation from this environment (plus wheels)")
    init.add_argument("root", type=Path, help="installation root, e.g. /opt/webmacs")
    init.add_argument("wheels", nargs="*", type=Path, help="wheels to install over this environment's packages")
    init.add_argument("--version", help="version name of the first environment (default: the running version)")
    init.set_defaults(func=_init)

    supervise = subparsers.add_parser("supervise", help="run 'webmacs serve' from an A/B installation, "
                                      "switch on updates and roll back unhealthy ones")
    supervise.add_argument("--root", type=Path, help="installation root (default WEBMACS_OTA_ROOT)")
    supervise.add_argument("--ready-timeout", type=float, default=None,
                           help="seconds a new version has to answer /health/ready (default 60)")
    supervise.set_defaults(func=_supervise)


def _fail(message: str) -> int:
    print(f"webmacs ota: {message}", file=sys.stderr)
    return 1


def _keygen(args: argparse.Namespace, settings: Any, pm: Any) -> int:
    private_path, public_path = args.name.with_suffix(".key"), args.name.with_suffix(".pub")
    for path in (private_path, public_path):
        if path.exists():
            return _fail(f"{path} exists; refusing to overwrite a key")
    pem, public = signing.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_text(public + "\n")
    print(f"private key: {private_path} (keep it secret)\npublic key:  {public_path}\n{public}")
    return 0


def _bundle(args: argparse.Namespace, settings: Any, pm: Any) -> int:
    try:
        key = signing.load_private(args.key)
    except signing.KeyProblem as exc:
        return _fail(str(exc))
    for wheel in args.wheels:
        if not wheel.is_file() or wheel.suffix != ".whl":
            return _fail(f"{wheel} is not a wheel file")
    version = args.version
    if version is None:
        found = [v for name, v in map(bundle.wheel_version, args.wheels) if name in ("webmacs", "webmacs-controller")]
        if not found:
            return _fail("--version is needed (no webmacs or webmacs-controller wheel to take it from)")
        version = found[0]
    out = args.out or Path(f"webmacs-update-{version}.tar.gz")
    try:
        manifest = bundle.build(out, args.wheels, key, version=version, min_from_version=args.min_from,
                                targets=args.targets or ["server"])
    except ValueError as exc:
        return _fail(str(exc))
    print(f"{out}: version {manifest.version} for {', '.join(manifest.targets)}, {len(manifest.wheels)} wheels, "
          f"signed by key {signing.key_id(key.public_key())}")
    return 0


def _verify(args: argparse.Namespace, settings: Any, pm: Any) -> int:
    from webmacs_ota.settings import OtaSettings

    ota = settings.section("ota", OtaSettings)
    try:
        trusted = signing.load_trusted(args.keys or ota.ota_trusted_keys)
    except signing.KeyProblem as exc:
        return _fail(str(exc))
    if not args.bundle.is_file():
        return _fail(f"{args.bundle} does not exist")
    with tempfile.TemporaryDirectory(prefix="webmacs-ota-verify-") as scratch:
        try:
            checked = bundle.check(args.bundle, Path(scratch) / "bundle", trusted, running_version=args.running,
                                   target=args.target, max_bytes=ota.ota_max_bundle_bytes,
                                   max_unpacked=ota.ota_max_unpacked_bytes)
        except bundle.BundleRejected as exc:
            return _fail(f"{args.bundle}: {exc.message}")
    print(json.dumps({"bundle": str(args.bundle), "key_id": checked.key_id,
                      **bundle.manifest_summary(checked.manifest)}, indent=2))
    return 0


def _init(args: argparse.Namespace, settings: Any, pm: Any) -> int:
    from webmacs_sdk.ota.install import InstallFailed, build_environment
    from webmacs_sdk.ota.layout import Layout

    layout = Layout(args.root.absolute())
    version = args.version or settings.version
    if layout.link_target(layout.current) is not None:
        return _fail(f"{layout.root} already has a current version ({layout.link_target(layout.current)})")
    with tempfile.TemporaryDirectory(prefix="webmacs-ota-init-") as scratch:
        wheels = []
        for wheel in args.wheels:
            if not wheel.is_file():
                return _fail(f"{wheel} is not a file")
            wheels.append(Path(shutil.copy2(wheel, scratch)))
        try:
            target = build_environment(layout, version, wheels)
        except InstallFailed as exc:
            return _fail(str(exc))
    layout.point(layout.current, version)
    print(f"{layout.current} -> {target}\nstart it with: {target}/bin/webmacs supervise --root {layout.root}")
    return 0


def _supervise(args: argparse.Namespace, settings: Any, pm: Any) -> int:
    from webmacs_ota.settings import OtaSettings
    from webmacs_ota.supervisor import Supervisor, SupervisorSettings

    root = args.root or settings.section("ota", OtaSettings).ota_root
    if root is None:
        return _fail("no installation root: pass --root or set WEBMACS_OTA_ROOT")
    options = settings.section("ota", SupervisorSettings)
    if args.ready_timeout is not None:
        options = options.with_ready_timeout(args.ready_timeout)
    return Supervisor(Path(root).absolute(), settings, options).run()
