"""Browser sessions: the cookie's name and the CSRF token every state-changing request must carry.

The auth plugin issues the session cookie and checks the token; pages (the ui plugin, any plugin
rendering a form) embed it with :func:`csrf_token`, so the two never disagree on its derivation.
"""

from __future__ import annotations

import hashlib
import hmac

#: The HttpOnly cookie holding a browser's session credential.
SESSION_COOKIE = "webmacs_session"
#: The header a ``fetch`` sends the CSRF token in.
CSRF_HEADER = "X-CSRF-Token"
#: The form field an HTML form sends the CSRF token in.
CSRF_FIELD = "csrf_token"
#: Methods that change nothing and so need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(secret_key: str, credential: str) -> str:
    """The CSRF token bound to one session credential: it changes with every sign-in."""
    return hmac.new(secret_key.encode(), b"csrf:" + credential.encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret_key: str, credential: str, presented: str | None) -> bool:
    """Whether ``presented`` is the CSRF token of ``credential`` (compared in constant time)."""
    return bool(presented) and hmac.compare_digest(csrf_token(secret_key, credential), presented or "")
