"""API-key scopes, deny by default: every view an API key can reach declares what each method needs.

A reseller API key (``tenant_apps.agents``) carries a set of scopes. A signed
request reaches a view only when the view declares, for the request's method,
a scope the key holds. A view (or a method) that declares nothing refuses every
API key with ``403 api_key_scope``, so a new endpoint is closed to keys until
someone decides otherwise. Declaration::

    @api_key_scopes(GET=READ, POST=ADMIN)
    class PriceRulesView(APIView): ...

``NO_API_KEY`` declares a method that only people (a JWT or a session) may
call: profile changes, identity documents, sign-out. The check itself lives in
the API-key authentication class (one place); ``tests/security/test_api_key_scopes.py``
walks every URL pattern and fails on a reachable view that declares nothing.

The scopes (docs/resellers.md, "Scopes"):

* ``read``: the catalogue, prices, the key owner's own orders, subscriptions, KYC status, agents, commissions
* ``purchase``: buy (purchase, meter/smartcard check, subscriptions)
* ``wallet``: the key owner's wallet, funding, transfers, agent funding, the reseller float
* ``admin``: administration: API keys, webhooks, price rules, commission tiers, users and roles, the audit
  trail, KYC and application reviews, staff order actions, adjustments
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

READ = "read"
PURCHASE = "purchase"
WALLET = "wallet"
ADMIN = "admin"
GRANTABLE_SCOPES = (READ, PURCHASE, WALLET, ADMIN)
NO_API_KEY = "no_api_key"  # declared: people only, never an API key

HANDLER_METHODS = ("get", "post", "put", "patch", "delete")
ATTRIBUTE = "api_key_scopes"


def api_key_scopes(**per_method: str):
    """Class decorator declaring the scope each HTTP method of the view needs from an API key.

    Every handler the class defines (get, post, put, patch, delete) must be named: a view
    that grows a method without saying what it needs fails at import.
    """
    declared: dict[str, str] = {}
    for method, scope in per_method.items():
        if method.lower() not in HANDLER_METHODS:
            raise ImproperlyConfigured(f"api_key_scopes: unknown HTTP method {method!r}")
        if scope not in (*GRANTABLE_SCOPES, NO_API_KEY):
            raise ImproperlyConfigured(f"api_key_scopes: unknown scope {scope!r}")
        declared[method.upper()] = scope

    def decorate(view_class: Any) -> Any:
        missing = undeclared_methods(view_class, declared)
        if missing:
            raise ImproperlyConfigured(
                f"{view_class.__qualname__}: declare the API-key scope of {', '.join(missing)} in @api_key_scopes")
        setattr(view_class, ATTRIBUTE, dict(declared))
        return view_class

    return decorate


def handler_methods(view_class: Any) -> list[str]:
    """The HTTP methods a view class answers (besides OPTIONS/HEAD), upper case."""
    allowed = {name.lower() for name in getattr(view_class, "http_method_names", HANDLER_METHODS)}
    return [name.upper() for name in HANDLER_METHODS if name in allowed and hasattr(view_class, name)]


def undeclared_methods(view_class: Any, declared: dict[str, str] | None = None) -> list[str]:
    if declared is None:
        declared = getattr(view_class, ATTRIBUTE, None) or {}
    return [method for method in handler_methods(view_class) if method not in declared]


def scope_needed(view: Any, method: str) -> str | None:
    """The scope an API key needs to call ``method`` on ``view`` (a view instance or class).

    ``None`` when the view declares nothing for it (refused: deny by default); ``NO_API_KEY`` when
    it is declared closed to keys. HEAD is GET; OPTIONS (DRF's metadata) needs ``read`` on a view
    that declares anything.
    """
    if view is None:
        return None
    view_class = view if isinstance(view, type) else type(view)
    declared = getattr(view_class, ATTRIBUTE, None)
    if not declared:
        return None
    method = method.upper()
    if method == "HEAD":
        method = "GET"
    if method == "OPTIONS":
        return READ
    return declared.get(method)
