"""The pricing cascade in integers: provider cost -> operator price -> reseller price.

Each tenant prices over *its* cost: a country operation's cost is the provider
cost, a reseller brand's cost is its parent operation's selling price (computed
with the parent's own rules, read from the parent schema). Percent rules round
half-up to the currency's minor unit (amounts are already integer minor units,
so XOF rounds to whole francs and NGN to kobo); a result below the tenant's cost
is raised to the cost unless ``PricingSettings.allow_below_cost`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.core.cache_versions import VersionedMemo

from .models import DEFAULT_MARGIN_BP, PriceRule, RuleMode
from .versions import NAME as PRICING_VERSION

SPECIFICITY_NAMES = {4: "product", 3: "provider+type", 2: "provider", 1: "type", 0: "all"}


@dataclass(frozen=True)
class Markup:
    """What a tenant adds over its cost for one product."""

    mode: str
    value: int
    source: str  # "rule:<id> (<scope>)" or "default margin"


@dataclass(frozen=True)
class TenantPricing:
    """One tenant's pricing configuration, loaded once (a listing prices many products with it)."""

    schema: str
    kind: str
    margin_bp: int
    allow_below_cost: bool
    rules: tuple[PriceRule, ...]
    tiers: tuple[tuple[int, int], ...]  # (level, rate_bp)
    parent: TenantPricing | None = None
    # The country's taxes (countries/tax.py), read once with the pricing: every quote carves them out of
    # the seller's income (tenant_apps.pricing.quotes). Empty outside a country (public schema).
    tax_rules: tuple = ()

    def markup_for(self, product) -> Markup:
        best = pick_rule(self.rules, product)
        if best is None:
            return Markup(RuleMode.PERCENT, self.margin_bp, "default margin")
        return Markup(best.mode, best.value, f"rule:{best.pk} ({SPECIFICITY_NAMES[best.specificity]})")


def pick_rule(rules, product) -> PriceRule | None:
    """The most specific active matching rule; ties: higher priority, then the newest (highest id)."""
    matching = [rule for rule in rules if rule.is_active and rule.matches(product)]
    if not matching:
        return None
    return max(matching, key=lambda rule: (rule.specificity, rule.priority, rule.pk or 0))


def half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounding half away from zero (no floats)."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    return sign * (quotient + (2 * remainder >= abs(denominator)))


def apply_markup(cost_minor: int, markup: Markup, *, allow_below_cost: bool) -> int:
    if markup.mode == RuleMode.PERCENT:
        price = half_up_div(cost_minor * (10_000 + markup.value), 10_000)
    else:
        price = cost_minor + markup.value
    if not allow_below_cost:
        price = max(price, cost_minor)
    return max(price, 0)


def current_pricing_tenant():
    """The tenant whose schema the connection is on (None on public): its kind decides the below-cost rule."""
    return _current_tenant()


def _current_tenant():
    from tenants.models import Tenant

    schema = getattr(connection, "schema_name", "public") or "public"
    tenant = getattr(connection, "tenant", None)
    # The routing middleware (and tenant-schemas-celery) already loaded the tenant: no query.
    if isinstance(tenant, Tenant) and tenant.schema_name == schema and tenant.pk:
        return tenant
    return Tenant.objects.select_related("parent").filter(schema_name=schema).first()


_RULE_FIELDS = ("id", "product_id", "product_type", "provider_id", "mode", "value", "priority", "is_active")
# Settings, active rules and commission tiers in one round trip (was three queries).
_LOAD_SQL = (
    "SELECT (SELECT json_build_array(margin_bp, allow_below_cost) FROM pricing_pricingsettings "
    "        WHERE singleton ORDER BY id LIMIT 1), "
    "(SELECT COALESCE(json_agg(json_build_array(id, product_id, product_type, provider_id, mode, value, priority, "
    "                                           is_active) ORDER BY id), '[]') "
    "   FROM pricing_pricerule WHERE is_active), "
    "(SELECT COALESCE(json_agg(json_build_array(level, rate_bp) ORDER BY level), '[]') FROM pricing_commissiontier)"
)


# A schema's own pricing, per process, while its pricing version stays the same (bumped by every change of its
# price rules, settings and commission tiers: .versions): one Redis GET instead of a SQL statement per quote.
_OWN_PRICING: VersionedMemo[TenantPricing] = VersionedMemo(PRICING_VERSION)


def _load_own(schema: str, kind: str) -> TenantPricing:
    return _OWN_PRICING.get(kind, lambda: _read_own(schema, kind))


def _read_own(schema: str, kind: str) -> TenantPricing:
    with connection.cursor() as cursor:
        cursor.execute(_LOAD_SQL)
        row, rules, tiers = cursor.fetchone()
    return TenantPricing(
        schema=schema, kind=kind,
        margin_bp=row[0] if row else DEFAULT_MARGIN_BP,
        allow_below_cost=bool(row and row[1]),
        rules=tuple(PriceRule(**dict(zip(_RULE_FIELDS, values, strict=True))) for values in rules),
        tiers=tuple((int(level), int(rate)) for level, rate in tiers),
    )


def load_tenant_pricing() -> TenantPricing:
    """The current schema's pricing, with its parent's for a reseller brand."""
    from tenants.models import TenantKind

    tenant = _current_tenant()
    schema = getattr(connection, "schema_name", "public") or "public"
    kind = tenant.kind if tenant else ""
    own = _load_own(schema, kind)
    if kind == TenantKind.RESELLER_BRAND and own.allow_below_cost:
        # A reseller prices above its cost, the operation's price (PRODUCT.md): a row saved before the settings
        # refused the switch on a reseller's site changes nothing.
        own = TenantPricing(**{**own.__dict__, "allow_below_cost": False})
    if tenant is not None and tenant.country:
        from countries.registry import get_adapter

        own = TenantPricing(**{**own.__dict__, "tax_rules": get_adapter(tenant.country).tax_rules})
    if tenant is not None and tenant.parent_id and tenant.parent.schema_name != "public":
        with schema_context(tenant.parent.schema_name):
            parent = _load_own(tenant.parent.schema_name, tenant.parent.kind)
        own = TenantPricing(**{**own.__dict__, "parent": parent})
    return own


def provider_cost_minor(product, face_minor: int) -> int:
    """What the provider charges: fixed products carry it; open amounts are face × cost rate, rounded up."""
    if product.is_open_amount:
        return -(-face_minor * product.cost_rate_bp // 10_000)  # never under-count what we owe
    return product.cost_price_minor


@dataclass(frozen=True)
class Cascade:
    provider_cost: int
    parent_price: int | None  # the reseller's cost (None for a country operation)
    price: int
    own_markup: Markup
    parent_markup: Markup | None

    @property
    def tenant_cost(self) -> int:
        return self.provider_cost if self.parent_price is None else self.parent_price


def price_cascade(*, product, face_minor: int, pricing: TenantPricing) -> Cascade:
    cost = provider_cost_minor(product, face_minor)
    parent_price = None
    parent_markup = None
    if pricing.parent is not None:
        parent_markup = pricing.parent.markup_for(product)
        parent_price = apply_markup(cost, parent_markup, allow_below_cost=pricing.parent.allow_below_cost)
    own_cost = cost if parent_price is None else parent_price
    own_markup = pricing.markup_for(product)
    price = apply_markup(own_cost, own_markup, allow_below_cost=pricing.allow_below_cost)
    return Cascade(provider_cost=cost, parent_price=parent_price, price=price, own_markup=own_markup,
                   parent_markup=parent_markup)


def commission_split(*, price_minor: int, margin_minor: int, chain, tiers, allow_below_cost: bool) -> list[tuple]:
    """``[(agent, level, amount)]`` for the seller's chain (level 1 = the seller), floored to the minor unit.

    Commissions are paid out of the tenant's own margin: unless below-cost sales are allowed,
    they are trimmed from the top of the tree down so their total never exceeds the margin.
    """
    rates = dict(tiers)
    shares = []
    for level, agent in enumerate(chain, start=1):
        rate = rates.get(level, 0)
        amount = price_minor * rate // 10_000
        if amount > 0:
            shares.append([agent, level, amount])
    if not allow_below_cost:
        excess = sum(share[2] for share in shares) - max(margin_minor, 0)
        for share in reversed(shares):
            if excess <= 0:
                break
            cut = min(share[2], excess)
            share[2] -= cut
            excess -= cut
    return [tuple(share) for share in shares if share[2] > 0]
