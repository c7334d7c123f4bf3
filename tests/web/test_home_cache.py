"""The home page keeps its alerts rendered per process, keyed on the version of what they
show (core.versions.stamp): every write shows on the next request."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from openkam.web.core import audit
from openkam.web.core.versions import stamp
from openkam.web.people.models import Assignment, SponsorVisit
from openkam.web.people.services import set_visit_cadence
from openkam.web.planning import services as planning
from openkam.web.planning.models import Action, Plan


def _reads(client, column: str) -> bool:
    with CaptureQueriesContext(connection) as seen:
        client.get("/")
    return any(column in q["sql"] for q in seen.captured_queries)


def test_a_saved_change_shows_at_once(programme, login):
    plan = planning.plan_for(programme["accounts"]["A1"])
    client = login(programme["users"]["Chris"])
    assert "action overdue since" not in client.get("/").content.decode()
    # Nothing changed: the alerts come from the cache (no read of the plans' actions).
    assert not _reads(client, '"planning_action"."due"')
    planning.add_part(
        plan,
        "actions",
        {"title": "Joint S&OP", "due": dt.date(2020, 1, 15)},
        programme["users"]["Alice"],
    )
    assert "action overdue since 2020-01-15: Joint S&amp;OP" in client.get("/").content.decode()
    # Deleting it takes the alert away again.
    Action.objects.filter(plan=plan).delete()
    assert "action overdue since" not in client.get("/").content.decode()


def test_an_audited_change_without_a_save_shows_at_once(programme, login):
    # Given Sam sponsors A1 since 2024, last seen on 2024-03-01, every 91 days by default.
    account, sam = programme["accounts"]["A1"], programme["people"]["Sam"]
    type(account).objects.filter(pk=account.pk).update(sponsor=sam)
    Assignment.objects.create(
        account=account, role="sponsor", person=sam, start=dt.date(2024, 1, 1)
    )
    SponsorVisit.objects.create(account=account, sponsor=sam, date=dt.date(2024, 3, 1))
    client = login(programme["users"]["Chris"])
    assert "2024-05-31" in client.get("/").content.decode()
    # When the champion sets a 30-day cadence (an update of the assignment row, audited),
    # the next contact was due on 2024-03-31.
    set_visit_cadence(account, 30, programme["users"]["Chris"])
    page = client.get("/").content.decode()
    assert "2024-03-31" in page and "2024-05-31" not in page


def test_each_person_sees_their_own_alerts(programme, login):
    plan = planning.plan_for(programme["accounts"]["A1"])
    Plan.objects.filter(pk=plan.pk).update(next_review=dt.date(2000, 1, 1))
    assert "plan review was due" in login(programme["users"]["Alice"]).get("/").content.decode()
    assert "plan review was due" not in login(programme["users"]["Bob"]).get("/").content.decode()
    assert "plan review was due" in login(programme["users"]["Alice"]).get("/").content.decode()


def test_the_stamp_changes_with_every_kind_of_write(programme):
    plan = planning.plan_for(programme["accounts"]["A1"])
    seen = [stamp(Plan, Action)]
    plan.save()  # a save: its updated
    seen.append(stamp(Plan, Action))
    Plan.objects.filter(pk=plan.pk).update(version=plan.version + 5)  # a version bump
    seen.append(stamp(Plan, Action))
    audit.record("event", plan, actor="test", message="anything audited")
    seen.append(stamp(Plan, Action))
    plan.delete()  # a row less
    seen.append(stamp(Plan, Action))
    assert len(set(seen)) == len(seen)


def test_the_plans_overview_follows_plans_and_their_accounts(programme, login):
    plan = planning.plan_for(programme["accounts"]["A1"])
    client = login(programme["users"]["Chris"])
    page = client.get("/plans/").content.decode()
    assert "Acme Foods" in page and "action overdue since" not in page
    planning.add_part(
        plan,
        "actions",
        {"title": "Call back", "due": dt.date(2020, 2, 1)},
        programme["users"]["Alice"],
    )
    assert "action overdue since 2020-02-01: Call back" in client.get("/plans/").content.decode()
    account = programme["accounts"]["A1"]
    account.name = "Acme Foods Group"
    account.save()
    assert "Acme Foods Group" in client.get("/plans/").content.decode()


def test_the_people_table_follows_accounts_people_and_exceptions(programme, login):
    from django.db.models import F

    from openkam.web.accounts.models import Account
    from openkam.web.people.models import RuleException

    Account.objects.filter(account_id="A2").update(key_status="key")
    client = login(programme["users"]["Vera"])
    assert "KAM 1 of 2–5, under" in client.get("/people/").content.decode()
    # A3 becomes a key account of Alice's through an update that bumps only its version
    # (as assignments do): Alice now carries 2.
    Account.objects.filter(account_id="A3").update(
        key_status="key", kam=programme["people"]["Alice"], version=F("version") + 1
    )
    page = client.get("/people/").content.decode()
    assert "KAM 2 of 2–5" in page
    assert ">exception<" not in page
    RuleException.objects.create(
        person=programme["people"]["Bob"], rule="kam_min_accounts", reason="Bob is new"
    )
    assert ">exception<" in client.get("/people/").content.decode()
    # The filters are part of the key.
    assert "Alice" not in client.get("/people/?q=Bob").content.decode().split("<tbody>")[1]


def test_my_accounts_follow_a_new_assignment_and_a_rename(programme, login):
    from openkam.web.accounts.models import Account

    client = login(programme["users"]["Bob"])
    mine = client.get("/").content.decode().split("<h2>Key accounts</h2>")[0]
    assert "Acme Foods" not in mine.split("My key accounts")[-1]
    account = Account.objects.get(account_id="A1")
    account.kam = programme["people"]["Bob"]
    account.save()
    mine = client.get("/").content.decode().split("<h2>Key accounts</h2>")[0]
    assert "My key accounts" in mine and "Acme Foods" in mine.split("My key accounts")[-1]
    bob = programme["people"]["Bob"]
    bob.name = "Robert"
    bob.save()
    assert "Good day, Robert" in client.get("/").content.decode()
    assert ">Robert<" in client.get("/").content.decode()


def test_an_edit_of_an_accounts_notes_keeps_the_home_page_cached(programme, login):
    """The most frequent edit (a KAM's notes) shows on no page that lists accounts: the
    home page stays cached. Any field the lists show moves the accounts' version
    (Account.listed_at), and the page is made again."""
    from openkam.web.accounts import services as accounts

    account = programme["accounts"]["A1"]
    planning.plan_for(account)  # (a plan, whose actions the alerts read when made)
    client = login(programme["users"]["Chris"])
    client.get("/")
    assert not _reads(client, '"planning_action"."due"')
    accounts.update_account(
        account, {"notes": "Met the buyer."}, account.version, programme["users"]["Chris"]
    )
    assert not _reads(client, '"planning_action"."due"')  # still cached
    account.refresh_from_db()
    accounts.update_account(
        account, {"name": "Renamed Group"}, account.version, programme["users"]["Chris"]
    )
    assert _reads(client, '"planning_action"."due"')  # made again
    assert "Renamed Group" in client.get("/").content.decode()


def test_the_listed_version_moves_with_every_listed_field_and_not_with_the_notes(programme):
    from django.utils import timezone

    from openkam.web.accounts.models import Account
    from openkam.web.people.assignments import assign

    def version():
        return stamp(Account, audit=False)

    account = Account.objects.get(pk=programme["accounts"]["A1"].pk)
    before = version()
    account.notes = "only the notes"
    account.save()
    assert version() == before
    # A field the lists show, saved whole or by update_fields.
    account.region = "APAC"
    account.save(update_fields=["region"])
    after_region = version()
    assert after_region != before
    account = Account.objects.get(pk=account.pk)
    account.key_status = "not_key" if account.key_status == "key" else "key"
    account.save()
    after_status = version()
    assert after_status != after_region
    # A KAM assigned through the rules (a QuerySet.update of the account).
    sam = programme["people"]["Sam"]
    assign(account, sponsor=sam, user=programme["users"]["Chris"], effective=timezone.localdate())
    after_sponsor = version()
    assert after_sponsor != after_status
    # The sponsor's visit cadence (an update of the assignment row).
    set_visit_cadence(account, 45, programme["users"]["Chris"])
    assert version() != after_sponsor
    # A new account, and one deleted.
    Account.objects.create(account_id="NEW1", name="New", industry="x", region="EMEA")
    after_new = version()
    assert after_new != after_sponsor
    Account.objects.filter(account_id="NEW1").delete()
    assert version() != after_new
