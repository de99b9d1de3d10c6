"""Which tables hold a person's data, how to export them and how to pseudonymise them.

Every tenant model is either registered with :func:`register` (how its rows are found from the user, which
columns are exported, which are pseudonymised on erasure) or declared with :func:`no_personal_data` and a
reason. Each app does it in its own ``personal_data.py`` (imported by ``PrivacyConfig.ready``);
``tests/privacy/test_registry.py`` walks every tenant model and fails on one that is neither, so a new
app cannot be forgotten.

Erasure strategies (``erase={"field": strategy}``):

* ``BLANK`` - empty string (or ``{}``/``[]`` for JSON); ``NULL`` - None;
* ``PSEUDONYM`` - ``erased-<token>``, the same token for one person everywhere (rows stay joinable);
* ``EMAIL`` - ``erased-<token>@erased.invalid`` (unique, never deliverable);
* ``MASK`` - the value's last 4 characters kept behind stars (a recipient number on a receipt);
* ``SCRUB`` - JSON: every string holding one of the person's values (phone in any format, e-mail, names)
  becomes ``"[erased]"``, the rest (amounts, references) stays;
* ``FILE`` - the stored file is deleted and the field emptied.

``delete=True`` removes the rows instead (one-time codes, sessions, stored idempotent replies, receipt links);
``eraser`` is a custom function for a table with its own rules (the append-only audit trail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

BLANK, NULL, PSEUDONYM, EMAIL, MASK, SCRUB, FILE = "blank", "null", "pseudonym", "email", "mask", "scrub", "file"
STRATEGIES = frozenset({BLANK, NULL, PSEUDONYM, EMAIL, MASK, SCRUB, FILE})


@dataclass(frozen=True)
class PersonalData:
    model: type[models.Model]
    owners: tuple[str, ...]  # ORM paths from the model to the user: ("user",), ("sender", "recipient_user")
    erase: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()  # never exported (hashes of secrets, encrypted numbers)
    files: tuple[str, ...] = ()  # file fields whose content goes into the export zip
    rows: Callable[[Any], models.QuerySet] | None = None  # custom finder (user) -> queryset, instead of owners
    erase_owners: tuple[str, ...] | None = None  # owners whose rows are pseudonymised (default: all owners)
    delete: bool = False  # erasure deletes the rows (sessions, codes, tokens: nothing the books need)
    eraser: Callable[[Any, Any], int] | None = None  # custom (user, identity) -> rows changed (the audit trail)

    @property
    def table(self) -> str:
        return f"{self.model._meta.app_label}.{self.model.__name__}"

    def queryset(self, user: Any, *, owners: tuple[str, ...] | None = None) -> models.QuerySet:
        if self.rows is not None:
            return self.rows(user)
        condition = models.Q()
        for path in owners if owners is not None else self.owners:
            condition |= models.Q(**{path: user})
        return self.model._default_manager.filter(condition)


_registered: dict[type[models.Model], PersonalData] = {}
_declared_none: dict[type[models.Model], str] = {}


def register(model: type[models.Model], *, owners: tuple[str, ...] = (), erase: dict[str, str] | None = None,
             exclude: tuple[str, ...] = (), files: tuple[str, ...] = (),
             rows: Callable[[Any], models.QuerySet] | None = None,
             erase_owners: tuple[str, ...] | None = None, delete: bool = False,
             eraser: Callable[[Any, Any], int] | None = None) -> PersonalData:
    """Declare how ``model``'s rows about a person are found, exported and pseudonymised."""
    erase = dict(erase or {})
    field_names = {f.name for f in model._meta.concrete_fields}
    unknown = (set(erase) | set(exclude) | set(files)) - field_names
    if unknown or not set(erase.values()) <= STRATEGIES or not (owners or rows):
        raise ValueError(f"privacy registry: bad registration of {model.__name__}: {sorted(unknown) or erase}")
    entry = PersonalData(model=model, owners=tuple(owners), erase=erase, exclude=tuple(exclude), files=tuple(files),
                         rows=rows, erase_owners=erase_owners, delete=delete, eraser=eraser)
    _registered[model] = entry
    return entry


def no_personal_data(model: type[models.Model], reason: str) -> None:
    """Declare that ``model`` holds nothing about a person (a reason is required: it is reviewed)."""
    if not reason.strip():
        raise ValueError("say why the model holds no personal data")
    _declared_none[model] = reason


def registered() -> list[PersonalData]:
    return sorted(_registered.values(), key=lambda entry: entry.table)


def declared_without_personal_data() -> dict[type[models.Model], str]:
    return dict(_declared_none)


def autodiscover() -> None:
    """Import every installed app's ``personal_data`` module (their registrations)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("personal_data")
