"""Business operations on accounts and contacts; pages and API call these, never the ORM."""

from __future__ import annotations

from django.db import transaction

from openkam.web.accounts.models import Account, Contact
from openkam.web.core import audit
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.permissions import require_edit, require_parent_change
from openkam.web.people import assignments


def update_account(
    account: Account,
    values: dict,
    expected_version: int | None,
    user,
    *,
    reason: str = "",
    exception_reason: str = "",
    effective=None,
    source: str = "form",
) -> dict:
    """Edit an account's facts; returns the changes. Raises ``ConcurrentEditError``.

    A new KAM or sponsor goes through ``people.assignments`` (the rules, the history, the
    champion's right to assign): ``RuleViolation`` or ``PermissionDenied`` when refused, and
    then nothing of the edit is saved.
    """
    require_edit(user, account)
    if "parent" in values:
        require_parent_change(user, account, values["parent"])
    values = dict(values)
    people = {role: values.pop(role) for role in ("kam", "sponsor") if role in values}
    with transaction.atomic():
        changes = save_versioned(
            account, values, expected_version, user=user, account_key=account.account_id
        )
        if people:
            changes.update(
                assignments.assign(
                    account,
                    **people,
                    effective=effective,
                    reason=reason,
                    exception_reason=exception_reason,
                    user=user,
                    source=source,
                )
            )
            account.refresh_from_db()
    return changes


def create_account(
    values: dict,
    user,
    *,
    reason: str = "",
    exception_reason: str = "",
    effective=None,
    source: str = "api",
) -> Account:
    """Add an account; a KAM or sponsor given with it is assigned through the rules."""
    values = dict(values)
    people = {role: values.pop(role) for role in ("kam", "sponsor") if values.get(role)}
    with transaction.atomic():
        account = Account(**values)
        account.full_clean()
        account.save()
        audit.record(
            "create",
            account,
            user=user,
            changes=audit.snapshot(account),
            account_key=account.account_id,
        )
        if people:
            assignments.assign(
                account,
                **people,
                effective=effective,
                reason=reason,
                exception_reason=exception_reason,
                user=user,
                source=source,
            )
            account.refresh_from_db()
    return account


def create_contact(account: Account, values: dict, user) -> Contact:
    """Add a person at the customer."""
    require_edit(user, account)
    with transaction.atomic():
        contact = Contact(account=account, **values)
        contact.full_clean()
        contact.save()
        audit.record(
            "create",
            contact,
            user=user,
            changes=audit.snapshot(contact),
            account_key=account.account_id,
        )
    return contact


def update_contact(contact: Contact, values: dict, expected_version: int | None, user) -> dict:
    """Edit a contact; returns the changes. Raises ``ConcurrentEditError``."""
    require_edit(user, contact)
    return save_versioned(
        contact, values, expected_version, user=user, account_key=contact.account.account_id
    )


def delete_contact(contact: Contact, user) -> None:
    require_edit(user, contact)
    with transaction.atomic():
        audit.record(
            "delete",
            contact,
            user=user,
            changes=audit.snapshot(contact),
            account_key=contact.account.account_id,
        )
        contact.delete()
