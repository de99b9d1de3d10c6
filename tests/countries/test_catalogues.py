"""Every text the project marks for translation reads in French and Portuguese; API errors are marked.

A gap used to be found by eye, one English sentence at a time on a French site. These checks find them all:

* every msgid the code and templates use (extracted as ``makemessages`` would, tests/support/catalogues.py) is in
  the catalogue Django actually loads for fr and for pt (the compiled ``.mo`` files: ours, Django's, DRF's);
* our ``.po`` files have no empty or fuzzy entry, keep each msgid's placeholders, and their committed ``.mo`` is
  compiled from them (``msgfmt --check -o django.mo django.po``);
* an API error's human text is not a plain English string (``ApiError`` subclasses' ``message`` and the texts
  given where one is raised); the files still carrying some are listed below, and the list only shrinks.
"""

from __future__ import annotations

from collections import Counter

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.utils.translation import trans_real

from tests.support.catalogues import LANGUAGES, placeholders, po_files, unmarked_api_messages, used_msgids


def _in_catalogue(catalogue, context, msgid, plural) -> bool:
    if plural is not None:
        msgid = (f"{context}\x04{msgid}" if context else msgid, 0)
    elif context:
        msgid = f"{context}\x04{msgid}"
    return msgid in catalogue


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_text_is_translated(language):
    catalogue = trans_real.translation(language)._catalog  # type: ignore[attr-defined]  # what gettext reads
    missing = [f"{msgid!r} ({files[0]})" for (context, msgid, plural), files in used_msgids().items()
               if not _in_catalogue(catalogue, context, msgid, plural)]
    assert not missing, f"{len(missing)} texts without a {language} translation:\n" + "\n".join(sorted(missing))


def test_the_extraction_sees_python_templates_plurals_and_contexts():
    used = used_msgids()
    assert "shared_apps/core/errors.py" in used[(None, "Not found.", None)]  # gettext_lazy in Python
    assert (None, "Provider rate", None) in used  # {% translate %} in a template
    assert any(plural is not None for _context, _msgid, plural in used)  # {% blocktranslate count %}, ngettext


@pytest.mark.parametrize("path", [path for language in LANGUAGES for path in po_files(language)],
                         ids=lambda path: str(path.relative_to(path.parents[4])))
def test_catalogue_entries_are_complete_and_compiled(path):
    with path.open("rb") as po:
        catalogue = read_po(po)
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = [str(text or "") for text in _as_tuple(message.string)]
        ids = [str(text) for text in _as_tuple(message.id)]
        if message.fuzzy or not all(strings):
            problems.append(f"empty or fuzzy: {ids[0]!r}")
        elif any(placeholders(string) != placeholders(ids[-1 if index else 0]) and
                 placeholders(string) != placeholders(ids[0]) for index, string in enumerate(strings)):
            problems.append(f"placeholders differ: {ids[0]!r} -> {strings}")
    assert not problems, "\n".join(problems)
    with path.with_suffix(".mo").open("rb") as mo:
        compiled = {_key(message): _strings(message) for message in read_mo(mo) if message.id}
    written = {_key(message): _strings(message) for message in catalogue if message.id}
    assert compiled == written, f"recompile: msgfmt --check -o {path.with_suffix('.mo').name} {path.name}"


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _key(message):
    return message.context, tuple(message.id) if isinstance(message.id, list | tuple) else message.id


def _strings(message):
    return tuple(message.string) if isinstance(message.string, list | tuple) else message.string


# API error texts still written as plain English strings, per file. Fixing one lowers its count here; a new one
# fails the test: wrap it in gettext_lazy (class attribute) or gettext with named placeholders (at the raise).
# A connector cannot import Django: a text of its that users read is marked with the plugin interfaces'
# gettext_noop (values in ``params``) and translated by the core (shared_apps.providers.messages.user_message).
# What is left: webhook signature refusals, answered to the provider that called, never to a person. The check
# matches classes by name, and the plugin interfaces' SignatureError (a ProviderError) shares the name of the
# agents' ApiError; they stay English on purpose.
UNMARKED_API_TEXTS: dict[str, int] = {
    "provider_plugins/aggregator/connector.py": 2,
    "provider_plugins/airtel_money/connector.py": 1,
    "provider_plugins/cinetpay/connector.py": 3,
    "provider_plugins/flutterwave/connector.py": 1,
    "provider_plugins/paystack/connector.py": 1,
    "provider_plugins/wave/connector.py": 4,
    "shared_apps/providers/callbacks.py": 1,
}


def test_api_error_texts_are_marked_for_translation():
    counts = Counter(path for path, _line, _text in unmarked_api_messages())
    grown = {path: count for path, count in counts.items() if count > UNMARKED_API_TEXTS.get(path, 0)}
    details = [f"{path}:{line}: {text}" for path, line, text in unmarked_api_messages() if path in grown]
    assert not grown, "API error texts in plain English (gettext them):\n" + "\n".join(details)
    shrunk = {path: count for path, count in counts.items() if count < UNMARKED_API_TEXTS.get(path, 0)}
    gone = {path: 0 for path in UNMARKED_API_TEXTS if path not in counts}
    assert not (shrunk or gone), f"fewer plain texts now: lower UNMARKED_API_TEXTS to {shrunk | gone}"
