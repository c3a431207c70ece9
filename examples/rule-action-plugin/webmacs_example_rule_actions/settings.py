"""Settings of the example rule actions (``WEBMACS_*`` variables)."""

from pathlib import Path

import attrs


@attrs.frozen
class RuleActionSettings:
    """Where firings are written and posted."""

    rule_jsonl_path: Path = Path("rule-firings.jsonl")
    rule_chat_url: str = ""
    #: Internal destinations the chat action may reach anyway (shared with the server's other clients).
    egress_allow: tuple[str, ...] = ()
