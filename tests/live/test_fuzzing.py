"""Schema-driven fuzzing of a live server on PostgreSQL: every operation of its own OpenAPI document
as anonymous, viewer, operator and admin, one drawn example each (``bench/fuzz.py`` draws more). No
answer is a 5xx, and every answer has the status, content type and body the document gives it, so
every error body is ``{"detail": ...}`` (the 422 list shape included)."""

from __future__ import annotations

from server_process import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess

from webmacs_sdk.testing.fuzzing import fuzz, role_tokens


def test_every_operation_as_every_role_answers_as_documented(live_server: ServerProcess) -> None:
    tokens = role_tokens(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert list(tokens) == ["anonymous", "viewer", "operator", "admin"]
    result = fuzz(live_server.url, tokens, examples=1, seed=13)
    print(result.summary())
    assert result.operations >= 90
    assert dict(result.by_role) == {role: result.examples for role in tokens}
    assert result.server_errors == 0 and result.failures == [], "\n".join(result.failures)
