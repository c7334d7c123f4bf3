"""Business operations on accounts and contacts; pages and API call these, never the ORM."""

from __future__ import annotations

from django.db import transaction

from openkam.web.accounts.models import Account, Contact
from openkam.web.core import audit
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.permissions import require_edit, require_parent_change


def update_account(account: Account, values: dict, expected_version: int | None, user) -> dict:
    """Edit an account's facts; returns the changes. Raises ``ConcurrentEditError``."""
    require_edit(user, account)
    if "parent" in values:
        require_parent_change(user, account, values["parent"])
    return save_versioned(
        account, values, expected_version, user=user, account_key=account.account_id
    )


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
