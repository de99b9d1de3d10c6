"""PostgreSQL through NexusTop's tenant backend (django-tenants', pooler-safe; psycopg 3).

``DATABASE_URL`` selects the server; unset, it points at the embedded server
that ``make run`` starts (see ``nexustop_dev.devstack``).

* ``DATABASE_POOL_MODE=transaction``: the server is a transaction-pooling pooler
  (PgBouncer ``pool_mode = transaction``, RDS Proxy without session pinning).
  The search path then travels inside every transaction instead of being a
  session setting (``tenants/postgresql_backend``), and server-side cursors are
  off (they need a session).
* ``DATABASE_CLUSTERS``: more PostgreSQL clusters for tenant schemas
  (``tenants.clusters``).
* ``DATABASE_REPLICA_URL``: a read replica, alias ``replica``; read-only work
  (analytics, statements, CSV exports, the head-office console) reads there
  inside ``tenants.replica.reporting_reads()``; writes never go there.
* ``DATABASE_PREPARE_THRESHOLD``: psycopg server-side parameter binding with
  prepared statements, a statement being prepared on a connection after it ran
  that many times (default 5; ``0``: off, Django's client-side binding).
  Only on a direct connection (``DATABASE_POOL_MODE=session``); always off
  behind a transaction pooler: a prepared statement lives in one server
  session, and the pool-safe backend sends ``SET LOCAL search_path;
  <statement>`` as one simple-protocol message, which cannot carry bound
  parameters (PgBouncer >= 1.21 ``max_prepared_statements`` tracks prepared
  statements, but the search path prefix still needs client-side binding).
  On by default since issue 18 (docs/benchmarks.md): server-side binding
  makes PostgreSQL type every parameter, so raw SQL casts its parameters where
  the type matters (a Python int is sent as the smallest integer type that holds
  it: the risk facts query casts ``%s::bigint``, or its plan changes; one untyped
  parameter used in two places fails: the risk gate's insert casts).
  Prepared plans stay tenant-safe: PostgreSQL re-parses a prepared statement
  when ``search_path`` changed since it was planned. Measured in
  docs/benchmarks.md.
* ``DATABASE_CONN_MAX_AGE`` (seconds a connection is kept, 60; prod 300) and
  ``DATABASE_CONN_HEALTH_CHECKS`` (``SELECT 1`` before the first query of a
  request or task on a reused connection, on by default: a connection broken
  by a failover is replaced instead of failing one request).
  ``DATABASE_HEALTH_CHECK_FRESH_MS`` (1000): a connection that served a request
  without error less than this long ago is not probed again (one round trip
  per request under load; a session the server ended meanwhile is replaced by
  the request's first statement: tenants.postgresql_backend; ``0``: probe every
  request, as Django does).
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlparse

from ..env import env_bool, env_int, env_str

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nexustop"
DATABASE_ENGINE = "tenants.postgresql_backend"
DATABASE_POOL_MODE = env_str("DATABASE_POOL_MODE", "session")
DEFAULT_PREPARE_THRESHOLD = 5


def prepare_threshold(pool_mode: str) -> int:
    """Executions before psycopg prepares a statement on its connection; 0: never (client-side binding)."""
    if pool_mode == "transaction":
        return 0
    return max(0, env_int("DATABASE_PREPARE_THRESHOLD", DEFAULT_PREPARE_THRESHOLD))


def binding_options(pool_mode: str) -> dict:
    """psycopg OPTIONS: server-side binding and prepared statements on a direct connection, else Django's default."""
    threshold = prepare_threshold(pool_mode)
    if not threshold:
        return {}
    return {"server_side_binding": True, "prepare_threshold": threshold}


def database_from_url(url: str, *, pool_mode: str = "session") -> dict:
    parsed = urlparse(url)
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    host = query.pop("host", None) or parsed.hostname or ""
    port = query.pop("port", None) or parsed.port or ""
    return {
        "ENGINE": DATABASE_ENGINE,
        "NAME": unquote(parsed.path.lstrip("/")) or "nexustop",
        "USER": unquote(parsed.username or "postgres"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(port),
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
        "OPTIONS": {**binding_options(pool_mode), **query},
        "TEST": {"NAME": env_str("DATABASE_TEST_NAME", "") or None},
        "POOL_MODE": pool_mode,
        # A server-side cursor lives in a session, which a transaction pooler does not keep.
        "DISABLE_SERVER_SIDE_CURSORS": pool_mode == "transaction",
    }


DATABASES = {"default": database_from_url(env_str("DATABASE_URL", DEFAULT_DATABASE_URL),
                                          pool_mode=DATABASE_POOL_MODE)}

# Read replica for reporting reads (tenants.replica); empty: everything reads the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_from_url(DATABASE_REPLICA_URL, pool_mode="session")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

# More PostgreSQL clusters holding tenant schemas ("alias=url,alias=url"); the primary is "default" and
# keeps the public schema (tenants, catalog, registry). A tenant's cluster is Tenant.database (tenants.clusters).
DATABASE_CLUSTERS = env_str("DATABASE_CLUSTERS", "")
for _alias, _url in (item.split("=", 1) for item in DATABASE_CLUSTERS.split(",") if item.strip()):
    DATABASES[_alias.strip()] = database_from_url(_url.strip(), pool_mode=DATABASE_POOL_MODE)
TENANT_CLUSTERS = ["default", *[alias for alias in DATABASES if alias not in ("default", "replica")]]
if len(TENANT_CLUSTERS) > 1:
    # A second connection to the primary: shared models while `default` serves a tenant elsewhere.
    DATABASES["home"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

# Shared models to the primary (clusters), reporting reads to the replica, then django-tenants' migrations.
DATABASE_ROUTERS = ["tenants.clusters.ClusterRouter", "tenants.replica.ReplicaRouter",
                    "django_tenants.routers.TenantSyncRouter"]
# One SET search_path per schema switch, not per cursor (measured +45 % ledger throughput).
TENANT_LIMIT_SET_CALLS = True
# No health-check probe for a connection proven by a request less than this ago (tenants.postgresql_backend).
DATABASE_HEALTH_CHECK_FRESH_SECONDS = max(0, env_int("DATABASE_HEALTH_CHECK_FRESH_MS", 1000)) / 1000
