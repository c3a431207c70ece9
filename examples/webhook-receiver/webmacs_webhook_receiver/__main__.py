"""``webmacs-webhook-receiver [--host H] [--port P]``; the secret comes from ``WEBHOOK_SECRET``."""

from __future__ import annotations

import argparse
import logging
import os

from aiohttp import web

from webmacs_webhook_receiver.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Receive and verify WebMACS webhooks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    web.run_app(create_app(os.environ.get("WEBHOOK_SECRET") or None), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
