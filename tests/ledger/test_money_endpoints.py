"""Issue 14: every money-moving write endpoint is idempotent, and which ones move money is declared once.

``tenant_apps.idempotency.registry`` is the one list. This walks the tenant and head-office URL
confs: a write route (POST/PUT/PATCH) that is in no table fails, as does a money-moving API route
whose method lacks ``@idempotent``, a money-moving page that runs no form key, a ``/webhook/``
route that does not go through the provider-callback binding, and a declaration for a route that
no longer exists.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver

from tenant_apps.idempotency.registry import MONEY_MOVING, NO_MONEY, PROVIDER_CALLBACK_PREFIX, Guard

WRITES = ("POST", "PUT", "PATCH")
URLCONFS = ("nexustop.urls_tenant", "nexustop.urls_public")


def _patterns(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _unwrapped(func) -> Iterator:
    while func is not None:
        yield func
        func = getattr(func, "__wrapped__", None)


def _function_view_methods(func) -> tuple[str, ...]:
    """What a function view accepts: ``require_http_methods`` keeps its list in the closure; else all."""
    for layer in _unwrapped(func):
        code = getattr(layer, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars and layer.__closure__:
            methods = layer.__closure__[code.co_freevars.index("request_method_list")].cell_contents
            return tuple(method for method in methods if method in WRITES)
    return WRITES[:1]  # no restriction: it takes a POST


def write_routes() -> dict[str, object]:
    """``"METHOD route"`` -> the handler (a DRF method or a function view), for every write."""
    found: dict[str, object] = {}
    for urlconf in URLCONFS:
        for route, pattern in _patterns(get_resolver(urlconf).url_patterns):
            if route.startswith("admin/"):
                continue  # Django admin: no ledger writes (registry docstring)
            view_class = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
            if view_class is not None:
                for method in WRITES:
                    handler = getattr(view_class, method.lower(), None)
                    if handler is not None:
                        found[f"{method} {route}"] = handler
            else:
                for method in _function_view_methods(pattern.callback):
                    found[f"{method} {route}"] = pattern.callback
    return found


def _uses_form_key(view) -> bool:
    """The view (or a helper of its module it calls) runs the form through the idempotency service."""
    layers = [layer for layer in _unwrapped(view) if inspect.isfunction(layer)]
    source = "".join(inspect.getsource(layer) for layer in layers)
    module = inspect.getmodule(layers[-1])
    helpers = [getattr(module, name) for name in re.findall(r"\b(_\w+)\(", source)
               if inspect.isfunction(getattr(module, name, None))]
    source += "".join(inspect.getsource(helper) for helper in helpers)
    return "run_once(" in source or "run_idempotently(" in source


def test_every_write_endpoint_is_declared_and_every_money_endpoint_is_idempotent():
    routes = write_routes()
    undeclared, not_idempotent, no_form_key, unbound_callbacks = [], [], [], []
    for label, handler in sorted(routes.items()):
        route = label.split(" ", 1)[1]
        if route.startswith(PROVIDER_CALLBACK_PREFIX):
            if not getattr(handler, "provider_callback", ""):
                unbound_callbacks.append(label)
            continue
        guard = MONEY_MOVING.get(label)
        if guard is None:
            if label not in NO_MONEY:
                undeclared.append(label)
        elif guard == Guard.IDEMPOTENCY_KEY and not getattr(handler, "idempotent", False):
            not_idempotent.append(label)
        elif guard == Guard.FORM_KEY and not _uses_form_key(handler):
            no_form_key.append(label)
        elif guard == Guard.SESSION_KEY and not getattr(handler, "session_idempotent", False):
            no_form_key.append(label)
    stale = sorted((set(MONEY_MOVING) | set(NO_MONEY)) - set(routes))
    assert undeclared == [], ("write endpoints nobody declared: add each to MONEY_MOVING or NO_MONEY in "
                              f"tenant_apps/idempotency/registry.py: {undeclared}")
    assert not_idempotent == [], f"money-moving API endpoints without @idempotent: {not_idempotent}"
    assert no_form_key == [], f"money-moving pages without a form key (portal.once.run_once): {no_form_key}"
    assert unbound_callbacks == [], ("webhooks not built on the provider-callback binding "
                                     f"(shared_apps.providers.callbacks.provider_callback): {unbound_callbacks}")
    assert stale == [], f"declared routes that do not exist (or take no writes) any more: {stale}"


def test_the_walk_sees_what_it_must():
    """The walk itself can fail: known money endpoints are found with their guard."""
    routes = write_routes()
    assert getattr(routes["POST api/purchase"], "idempotent", False)
    assert getattr(routes["POST api/subscriptions"], "idempotent", False)
    assert _uses_form_key(routes["POST buy/<str:kind>"])
    assert getattr(routes["POST ussd/africastalking/<str:token>"], "session_idempotent", False)
    assert "POST orders" not in routes  # a GET-only page (require_GET) takes no writes
