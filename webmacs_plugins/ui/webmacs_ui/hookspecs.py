"""The web UI's extension points. The ui plugin owns them; the core knows nothing of pages.

Every hook here is sync and optional: a plugin implements them with
``@hookimpl(optionalhook=True)`` so it still loads where the ui plugin is blocked or absent.
"""

# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from webmacs_sdk.markers import hookspec

if TYPE_CHECKING:
    from aiohttp import web

    from webmacs_sdk.specs import MenuItem, Page, SignInMethod, WidgetTypeSpec


@hookspec
def webmacs_ui_pages() -> Iterable[Page]:
    """Contribute pages to the web UI: one spec and one template make a page.

    Sync; read once, when the UI first serves a page. Each page is drawn inside the ui's layout
    (navigation, flash messages, sign-out), with ``page``, ``principal``, ``csrf_token`` and the
    page's own ``context(request)`` as template variables. Templates live in the plugin's
    ``templates/`` folder, next to its module, which the UI's template loader searches without
    being told. The page appears in the navigation of whoever its policy admits.

    :returns: :class:`~webmacs_sdk.specs.Page` objects.

    Example::

        async def kiln_context(request):
            return {"segments": await load_segments(request.app)}

        @hookimpl(optionalhook=True)
        def webmacs_ui_pages():
            return [Page("/kiln", "Kiln schedule", "kiln/schedule.html", Policy.OPERATOR, kiln_context)]

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_sign_in_methods(request: web.Request) -> Iterable[SignInMethod]:
    """Offer other ways to sign in on the sign-in page ("Sign in with <provider>").

    Sync; called each time the sign-in page renders, so a method may come and go with its
    configuration (``request.app`` carries it). Each method is shown as a link, in ascending
    ``order``, below the password form; its ``href`` starts the method's flow (a route of the
    plugin), which ends by setting the browser session the way ``POST /api/v1/auth/session``
    does and redirecting to where the visitor was going (``request.query["next"]``, a local path).

    :param request: the sign-in page's request.
    :returns: :class:`~webmacs_sdk.specs.SignInMethod` objects.

    Example::

        @hookimpl(optionalhook=True)
        def webmacs_sign_in_methods(request):
            if request.app[HOST].section(ExampleSettings).enabled:
                return [SignInMethod("Sign in with Example ID", "/auth/sso/example/start")]
            return []

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_templates() -> Iterable[Path]:
    """Contribute Jinja2 template folders beyond the plugin's own ``templates/``.

    Sync; read once, when the UI first renders. Earlier folders win over later ones; the
    ui's own folder comes first.

    :returns: folder paths.

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_menu_items() -> Iterable[MenuItem]:
    """Contribute navigation entries that are not pages of the UI (an API listing, a manual).

    Sync; called when the UI renders its navigation; items are shown when the viewer's
    role satisfies the item's policy, ordered by ``order`` together with the pages.

    :returns: MenuItem objects.

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_widget_types() -> Iterable[WidgetTypeSpec]:
    """Contribute dashboard widget types to the dashboard editor.

    Sync; called when the editor renders. ``name`` is stored in the widget's ``widget_type``.

    :returns: WidgetTypeSpec objects.

    .. versionadded:: 2.0
    """


@hookspec(firstresult=True)
def webmacs_sign_out_url(request: web.Request) -> str | None:
    """Where the browser goes once the web UI's "Sign out" has ended the WebMACS session.

    Sync, a decision: the first implementation answering a URL wins; without one the browser goes
    to the sign-in page. The sso plugin answers its ``/api/v1/auth/sso/logout`` while single
    sign-on is on, which ends the identity provider's session too (RP-initiated logout).

    :param request: the page being rendered, for a signed-in user.
    :returns: a path on this site, or ``None`` to leave the decision to others.

    .. versionadded:: 2.1
    """
