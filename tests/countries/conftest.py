import pytest

from countries.overrides import CACHE_KEY, override_cache


@pytest.fixture(autouse=True)
def _fresh_override_cache():
    """Overrides written inside a rolled-back test must not survive in Redis."""
    override_cache().delete(CACHE_KEY)
    yield
    override_cache().delete(CACHE_KEY)
