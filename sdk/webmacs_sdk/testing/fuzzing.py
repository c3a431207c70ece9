"""Schema-driven fuzzing of a running WebMACS server with schemathesis (a test dependency).

Every operation of the server's own ``/api/v1/openapi.json`` gets ``examples`` requests drawn from
its schema by schemathesis (bodies, query and path parameters, NUL bytes and huge numbers
included), and each is sent once per role: anonymous and one bearer token per signed-in role.
Every answer is checked: no 5xx, and its status, content type and body as the document gives them,
so every error body is ``{"detail": ...}`` (the 422 list shape included). The counts come back.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import warnings
from collections import Counter
from typing import Any

import attrs

#: Operations that would end the fuzzing identity's own session.
EXCLUDED = {("POST", "/api/v1/auth/logout")}


@attrs.define
class FuzzResult:
    """What a run sent and got back."""

    operations: int = 0
    examples: int = 0
    requests: int = 0
    statuses: Counter[str] = attrs.field(factory=Counter)
    by_role: Counter[str] = attrs.field(factory=Counter)
    failures: list[str] = attrs.field(factory=list)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return self.statuses["5xx"]

    def summary(self) -> str:
        classes = " ".join(f"{k}={v}" for k, v in sorted(self.statuses.items()))
        roles = " ".join(f"{k}={v}" for k, v in self.by_role.items())
        return (f"operations={self.operations} examples={self.examples} requests={self.requests} ({roles}) "
                f"{classes} 5xx={self.server_errors} failures={len(self.failures)} in {self.seconds:.1f} s")


def fuzz(base_url: str, tokens: dict[str, str | None], *, examples: int = 1, seed: int | None = None,
         deadline: float | None = None) -> FuzzResult:
    """Fuzz every operation ``examples`` times as each role of ``tokens`` (``None``: anonymous).

    ``deadline`` (seconds) stops drawing new examples once passed; every operation still gets one.
    """
    import hypothesis
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    started = time.monotonic()
    with urllib.request.urlopen(f"{base_url}/api/v1/openapi.json", timeout=30) as response:  # noqa: S310 (the server under test)
        document = json.loads(response.read())
    schema = schemathesis.openapi.from_dict(document)
    result = FuzzResult()
    random = __import__("random").Random(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hypothesis.errors.NonInteractiveExampleWarning)
        for item in schema.get_all_operations():
            operation = item.ok()  # type: ignore[union-attr]  # an invalid operation raises here, as it should
            if (operation.method.upper(), operation.path) in EXCLUDED:
                continue
            result.operations += 1
            strategy = operation.as_strategy()
            for n in range(examples):
                if n and deadline is not None and time.monotonic() - started > deadline:
                    break
                hypothesis.seed(random.getrandbits(32)) if seed is not None else None
                case = strategy.example()
                result.examples += 1
                for role, token in tokens.items():
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    _send(case, base_url, role, headers, checks=checks, result=result)
    result.seconds = time.monotonic() - started
    return result


def _send(case: Any, base_url: str, role: str, headers: dict[str, str], *, checks: list[Any],
          result: FuzzResult) -> None:
    try:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
    except Exception as exc:  # a connection the server dropped counts as a failure to answer
        result.statuses["none"] += 1
        result.failures.append(f"{role} {case.method} {case.formatted_path}: no answer ({type(exc).__name__})")
        return
    result.requests += 1
    result.by_role[role] += 1
    result.statuses[f"{response.status_code // 100}xx"] += 1
    try:
        case.validate_response(response, checks=checks, headers=headers)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        result.failures.append(f"{role} {case.method} {case.formatted_path} -> {response.status_code}: {first}"[:400])


def _call(base_url: str, method: str, path: str, body: object, token: str | None = None) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 (the server under test)
        f"{base_url}{path}", data=json.dumps(body).encode(), method=method,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the server under test)
        answer: dict[str, object] = json.loads(response.read() or b"{}")
        return answer


def role_tokens(base_url: str, admin_email: str, admin_password: str) -> dict[str, str | None]:
    """Bearer tokens of an admin, and of an operator and a viewer the admin creates (anonymous: ``None``)."""
    login = "/api/v1/auth/login"
    admin = str(_call(base_url, "POST", login, {"email": admin_email, "password": admin_password})["access_token"])
    tokens: dict[str, str | None] = {"anonymous": None}
    for role in ("viewer", "operator"):
        email, password = f"fuzz-{role}@example.com", f"fuzz-{role}-password-1"
        try:
            _call(base_url, "POST", "/api/v1/users",
                  {"email": email, "username": f"fuzz-{role}", "password": password, "role": role}, admin)
        except urllib.error.HTTPError as exc:
            if exc.code != 409:  # already made by an earlier run on this database
                raise
        tokens[role] = str(_call(base_url, "POST", login, {"email": email, "password": password})["access_token"])
    tokens["admin"] = admin
    return tokens
