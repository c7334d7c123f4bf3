"""Loading reference records (accounts, products, contacts, people) into the database.

Used by imports and the demo. Rows arrive validated (``openkam.store``); this module upserts
them by their key in one transaction, writes one audit event per created or changed record,
and leaves unchanged records untouched, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from openkam.engine.schema import KINDS
from openkam.web.accounts.models import Account, Contact, Product
from openkam.web.core import audit
from openkam.web.core.bulk import analyze_after_commit, rows_in
from openkam.web.people.models import Person
from openkam.web.relationships.models import Relationship


@dataclass
class UpsertResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def _clean(value):
    return "" if value is None else value


# kind -> (model, key field, plain fields, {fk field: (model, key field, source column)})
SPECS = {
    "accounts": (
        Account,
        "account_id",
        ["name", "industry", "region", "country"],
        {"parent": (Account, "account_id", "parent_account_id")},
    ),
    "products": (Product, "product_id", ["name", "product_line"], {}),
    "contacts": (
        Contact,
        "contact_id",
        ["name", "title", "email", "phone"],
        {
            "account": (Account, "account_id", "account_id"),
            "reports_to": (Contact, "contact_id", "reports_to_contact_id"),
        },
    ),
    "people": (
        Person,
        "person_id",
        ["name", "email", "role", "title", "function", "executive_level", "full_time_kam"],
        {"reports_to": (Person, "person_id", "reports_to_person_id")},
    ),
}


# Kinds keyed by a pair of references: kind -> (model, {fk field: (model, key, column)},
# plain fields, {plain field: (low, high)} ranges checked here because the store's types
# cannot express them).
COMPOSITE_SPECS = {
    "relationships": (
        Relationship,
        {
            "contact": (Contact, "contact_id", "contact_id"),
            "person": (Person, "person_id", "person_id"),
        },
        ["strength", "last_contact", "notes"],
        {"strength": (1, 5)},
    ),
}


def upsert(
    kind: str,
    rows: list[dict],
    *,
    user=None,
    actor: str = "import",
    columns: set[str] | None = None,
    origins: list[dict] | None = None,
) -> UpsertResult:
    """Create or update the records of ``kind`` from validated rows, all or nothing.

    ``columns`` names the columns the source had; an optional column it lacked leaves the
    stored values of existing records as they are (a file without ``country`` does not
    erase every country). ``origins`` gives each row's file and row, so that problems found
    here name them.
    """
    from openkam.web.people import imports as organisation

    if kind in organisation.KINDS:
        counts = organisation.upsert(
            kind, rows, user=user, actor=actor, columns=columns, origins=origins
        )
        return UpsertResult(kind, counts["created"], counts["updated"], counts["unchanged"])
    if kind == "people":
        rows = organisation.prepare_people(rows, origins, columns, user=user)
    if kind in COMPOSITE_SPECS:
        return _upsert_composite(kind, rows, user=user, actor=actor, columns=columns)
    model, key, plain, fks = SPECS[kind]
    if columns is not None:
        plain = [f for f in plain if f in columns or f in KINDS[kind].required]
        fks = {
            fk: spec
            for fk, spec in fks.items()
            if spec[2] in columns or spec[2] in KINDS[kind].required
        }
    result = UpsertResult(kind)
    with transaction.atomic():
        pk_of = _PkMaps()
        existing = {
            getattr(o, key): o for o in rows_in(model.objects.all(), key, [r[key] for r in rows])
        }
        # Pass 1: create new records and update plain fields; self-references wait for pass 2
        # because a parent may be a later row of the same file.
        created, changed = [], {}
        for row in rows:
            values = {f: _clean(row.get(f)) for f in plain}
            for fk, (target, target_key, column) in fks.items():
                if target is not model:
                    ref = row.get(column)
                    values[f"{fk}_id"] = pk_of(target, target_key, ref) if ref else None
            obj = existing.get(row[key])
            if obj is None:
                obj = model(**{key: row[key]}, **values)
                created.append(obj)
                existing[row[key]] = obj
            else:
                before = audit.snapshot(obj)
                for name, value in values.items():
                    setattr(obj, name, value)
                if audit.diff(before, audit.snapshot(obj)):
                    changed[row[key]] = (obj, before)
        model.objects.bulk_create(created, batch_size=1000)
        analyze_after_commit(model, len(created))
        if created and created[0].pk is None:  # backends that do not return ids
            ids = dict(
                rows_in(
                    model.objects.values_list(key, "pk"), key, [getattr(o, key) for o in created]
                )
            )
            for obj in created:
                obj.pk = ids[getattr(obj, key)]
        created_keys = {getattr(o, key) for o in created}
        # Pass 2: self-references, now that every record of the file exists.
        for fk, (target, target_key, column) in fks.items():
            if target is not model:
                continue
            for row in rows:
                obj = existing[row[key]]
                ref = row.get(column)
                if not ref:
                    new_id = None
                elif ref in existing:
                    new_id = existing[ref].pk
                else:
                    new_id = pk_of(target, target_key, ref)
                if getattr(obj, f"{fk}_id") != new_id:
                    if row[key] not in created_keys and row[key] not in changed:
                        changed[row[key]] = (obj, audit.snapshot(obj))
                    setattr(obj, f"{fk}_id", new_id)
                    if row[key] in created_keys:
                        model.objects.filter(pk=obj.pk).update(**{f"{fk}_id": new_id})
        updates = []
        for obj, before in changed.values():
            obj.save()
            model.objects.filter(pk=obj.pk).update(version=F("version") + 1)
            updates.append((obj, audit.labelled(model, audit.diff(before, audit.snapshot(obj)))))
        _record(model, created, updates, user, actor, _account_key_of(kind, pk_of))
    result.created = len(created)
    result.updated = len(changed)
    result.unchanged = len(rows) - result.created - result.updated
    return result


def _upsert_composite(
    kind: str, rows: list[dict], *, user, actor: str, columns: set[str] | None = None
) -> UpsertResult:
    """Upsert for kinds whose key is a pair of references (a contact and one of our people).

    An optional column the source lacked keeps the stored values, as in ``upsert``.
    """
    model, fks, plain, ranges = COMPOSITE_SPECS[kind]
    if columns is not None:
        plain = [f for f in plain if f in columns or f in KINDS[kind].required]
    for i, row in enumerate(rows, start=1):
        for name, (low, high) in ranges.items():
            value = row.get(name)
            if value is not None and not low <= value <= high:
                raise ValueError(f"row {i}: {name} {value} is not between {low} and {high}")
    result = UpsertResult(kind)
    pk_of = _PkMaps()
    names = list(fks)
    with transaction.atomic():
        existing = {tuple(getattr(o, f"{n}_id") for n in names): o for o in model.objects.all()}
        created, updates = [], []
        for row in rows:
            ids = tuple(pk_of(target, key, row[column]) for target, key, column in fks.values())
            values = {f: row.get(f) if f != "notes" else _clean(row.get(f)) for f in plain}
            obj = existing.get(ids)
            if obj is None:
                obj = model(**{f"{n}_id": pk for n, pk in zip(names, ids, strict=True)}, **values)
                created.append(obj)
                existing[ids] = obj
                continue
            before = audit.snapshot(obj)
            for name, value in values.items():
                setattr(obj, name, value)
            changes = audit.diff(before, audit.snapshot(obj))
            if changes:
                obj.version = F("version") + 1
                obj.save()
                obj.refresh_from_db()
                updates.append((obj, changes))
        model.objects.bulk_create(created, batch_size=1000)
        analyze_after_commit(model, len(created))
        if created and created[0].pk is None:  # backends that do not return ids
            by_ids = {tuple(getattr(o, f"{n}_id") for n in names): o for o in model.objects.all()}
            for obj in created:
                obj.pk = by_ids[tuple(getattr(obj, f"{n}_id") for n in names)].pk
        account_of = dict(Contact.objects.values_list("pk", "account__account_id"))

        def account_key(obj):
            return account_of.get(obj.contact_id, "")

        _record(model, created, updates, user, actor, account_key)
    result.created = len(created)
    result.updated = len(updates)
    result.unchanged = len(rows) - result.created - result.updated
    return result


def _record(model, created, updates, user, actor: str, account_key) -> None:
    """The audit trail of one upsert: every created row whole, every update as its changes."""
    created_rows = [(o, audit.snapshot(o)) for o in created]
    audit.record_bulk(
        "create", model, created_rows, user=user, actor=actor, account_key_of=account_key
    )
    audit.record_bulk("update", model, updates, user=user, actor=actor, account_key_of=account_key)


class _PkMaps:
    """Primary keys by business key, loaded once per model (one query, not one per row)."""

    def __init__(self):
        self._maps: dict = {}

    def _map(self, model, key: str) -> dict:
        if (model, key) not in self._maps:
            self._maps[model, key] = dict(model.objects.values_list(key, "pk"))
        return self._maps[model, key]

    def __call__(self, model, key: str, value: str) -> int:
        try:
            return self._map(model, key)[value]
        except KeyError:
            raise ValueError(f"unknown {model._meta.verbose_name} {value!r}") from None

    def key_of(self, model, key: str, pk: int) -> str:
        if (model, key, "inverse") not in self._maps:
            self._maps[model, key, "inverse"] = {v: k for k, v in self._map(model, key).items()}
        inverse = self._maps[model, key, "inverse"]
        return inverse.get(pk, "")


def _account_key_of(kind: str, pk_of: _PkMaps):
    if kind == "accounts":
        return lambda obj: obj.account_id
    if kind == "contacts":
        return lambda obj: pk_of.key_of(Account, "account_id", obj.account_id)
    return None


def known_keys() -> dict:
    """Keys already in the database, for validating references of an import.

    Accounts and contacts map each id to its parent, so that the store finds cycles that
    run through records already stored.
    """
    return {
        "accounts": dict(Account.objects.values_list("account_id", "parent__account_id")),
        "products": set(Product.objects.values_list("product_id", flat=True)),
        "contacts": dict(Contact.objects.values_list("contact_id", "reports_to__contact_id")),
        "people": dict(Person.objects.values_list("person_id", "reports_to__person_id")),
    }
