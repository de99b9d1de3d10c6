"""WhiteNoise's index of the static files, built once per test process instead of once per ``Client``.

Every new ``django.test.Client`` loads the middleware chain again, and ``WhiteNoiseMiddleware.__init__`` (with
``WHITENOISE_USE_FINDERS``, the test and development setting) walks every app's static folder and stats each
file: ~40 ms of CPU per client, paid hundreds of times a session (``host_client(...)`` makes a client per call).
The walk's result depends only on the settings named below and on the files, which no test changes; it is kept
per process, keyed by those settings (an ``override_settings`` of any of them walks again), and each new
middleware gets the same entries its own walk would have added. Production is untouched: this is installed by
tests/conftest.py only.
"""

from __future__ import annotations

from typing import Any

# Everything WhiteNoiseMiddleware reads to build its index (the finders, what they search, and the headers and
# URLs of each entry).
SETTINGS = ("STATIC_URL", "STATICFILES_DIRS", "STATICFILES_FINDERS", "INSTALLED_APPS", "STORAGES",
            "FORCE_SCRIPT_NAME", "DEBUG", "WHITENOISE_USE_FINDERS", "WHITENOISE_AUTOREFRESH", "WHITENOISE_MAX_AGE",
            "WHITENOISE_ALLOW_ALL_ORIGINS", "WHITENOISE_CHARSET", "WHITENOISE_MIMETYPES",
            "WHITENOISE_ADD_HEADERS_FUNCTION", "WHITENOISE_INDEX_FILE", "WHITENOISE_IMMUTABLE_FILE_TEST",
            "WHITENOISE_STATIC_PREFIX")

_index: dict[str, dict[str, Any]] = {}


def _key() -> str:
    from django.conf import settings

    return repr(tuple(getattr(settings, name, None) for name in SETTINGS))


def install() -> None:
    """Memoise ``WhiteNoiseMiddleware.add_files_from_finders`` for this process (idempotent)."""
    from whitenoise.middleware import WhiteNoiseMiddleware

    original = WhiteNoiseMiddleware.add_files_from_finders
    if getattr(original, "memoised", False):
        return

    def add_files_from_finders(self: WhiteNoiseMiddleware) -> None:
        key = _key()
        found = _index.get(key)
        if found is None:
            # The walk alone, into an empty dict: what it adds (later entries win, as in the original).
            before, self.files = self.files, {}
            try:
                original(self)
                found = _index[key] = self.files
            finally:
                self.files = before
        self.files.update(found)

    add_files_from_finders.memoised = True  # type: ignore[attr-defined]
    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders
