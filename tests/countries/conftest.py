import pytest

from countries.overrides import VERSION_KEY, override_cache


@pytest.fixture(autouse=True)
def _fresh_override_cache():
    """Overrides written inside a rolled-back test must not survive in Redis: a new version (the next reader
    starts one) outdates every copy, Redis's (keyed by the version) and each process's."""
    override_cache().delete(VERSION_KEY)
    yield
    override_cache().delete(VERSION_KEY)
