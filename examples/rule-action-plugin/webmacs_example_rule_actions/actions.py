"""The two actions. Both wait for the firing's transaction to commit before acting."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import attrs
from aiohttp import web

from webmacs_example_rule_actions.settings import RuleActionSettings
from webmacs_sdk import HOST, RuleActionSpec, RuleFired, Transaction
from webmacs_sdk.egress import EgressClient, EgressDenied, EgressPolicy

log = logging.getLogger(__name__)

CLIENT: web.AppKey[EgressClient] = web.AppKey("webmacs_example_rule_actions.client", EgressClient)


def _record(firing: RuleFired) -> dict[str, Any]:
    fields = attrs.asdict(firing)
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()}


async def jsonl_action(app: web.Application, tx: Transaction, firing: RuleFired) -> None:
    path = app[HOST].section(RuleActionSettings).rule_jsonl_path
    line = json.dumps(_record(firing), sort_keys=True) + "\n"

    def append() -> None:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line)

    tx.after_commit(append)


def _client(app: web.Application) -> EgressClient:
    settings = app[HOST].section(RuleActionSettings)
    return app[HOST].state(
        CLIENT, lambda: EgressClient(EgressPolicy.from_setting(settings.egress_allow), timeout=10.0)
    )


async def _post(app: web.Application, url: str, text: str) -> None:
    try:
        response = await _client(app).post(
            url, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}
        )
    except EgressDenied as exc:
        log.warning("chat notification refused: %s", exc.reason)
        return
    except Exception as exc:
        log.warning("chat notification failed: %s", exc)
        return
    if response.status >= 300:
        log.warning("chat notification answered HTTP %d", response.status)


async def chat_action(app: web.Application, tx: Transaction, firing: RuleFired) -> None:
    url = app[HOST].section(RuleActionSettings).rule_chat_url
    if not url:
        log.warning("rule %r uses the chat action but WEBMACS_RULE_CHAT_URL is not set", firing.rule)
        return
    text = firing.message

    def send() -> None:
        app[HOST].spawn(_post(app, url, text), name="rule-actions-example.chat")

    tx.after_commit(send)


async def client_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await _client(app).close()


ACTIONS = (
    RuleActionSpec("jsonl", jsonl_action, "Append the firing to a JSON Lines file."),
    RuleActionSpec("chat", chat_action, "Post the firing's message to a chat webhook."),
)
