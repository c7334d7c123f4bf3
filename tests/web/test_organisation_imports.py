"""Import kinds of the organisation: documented columns, all or nothing, rules enforced."""

from __future__ import annotations

import datetime as dt

import pytest

from openkam.store import ImportFailed
from openkam.web.accounts.models import Account
from openkam.web.people.models import (
    Assignment,
    CompetencyAssessment,
    Person,
    SponsorVisit,
    TrainingRecord,
)


@pytest.fixture
def org(programme):
    Account.objects.filter(account_id="A2").update(key_status="key")
    return programme


def test_people_with_their_place_in_the_organisation(org, import_files):
    import_files(
        {
            "people": "person_id,name,email,role,title,function,executive_level,full_time_kam,"
            "reports_to_person_id\n"
            "P-CEO,Cara,cara@x.example,sponsor,CEO,executive,c_level,no,\n"
            "P-Dan,Dan,dan@x.example,kam,Key Account Manager,key_account_management,,yes,"
            "P-Chris\n"
            "P-Chris,Chris,chris@x.example,champion,Head of KAM,key_account_management,,,P-CEO\n"
        }
    )
    dan = Person.objects.get(person_id="P-Dan")
    assert (dan.function, dan.full_time_kam, dan.reports_to.person_id) == (
        "key_account_management",
        True,
        "P-Chris",
    )
    assert Person.objects.get(person_id="P-Chris").reports_to.name == "Cara"
    assert Person.objects.get(person_id="P-CEO").executive_level == "c_level"


def test_people_with_a_bad_function_load_nothing(org, import_files):
    with pytest.raises(ImportFailed) as err:
        import_files(
            {
                "people": "person_id,name,email,role,function,full_time_kam\n"
                "P-X,X,x@x.example,kam,wizardry,yes\n"
                "P-Y,Y,y@y.example,kam,sales,maybe\n"
            }
        )
    text = str(err.value)
    assert 'people.csv, row 2, column function: "wizardry" is not one of' in text
    assert 'people.csv, row 3, column full_time_kam: "maybe" is not yes or no' in text
    assert not Person.objects.filter(person_id__in=["P-X", "P-Y"]).exists()


def test_competencies_training_and_visits(org, import_files):
    import_files(
        {
            "competencies": "person_id,competency,level,assessed_on,assessed_by_person_id\n"
            "P-Alice,planning,3,2025-01-10,P-Chris\n"
            "P-Alice,influencing,4,2025-01-10,P-Chris\n",
            "training": "person_id,course,date,completed,kam_training\n"
            "P-Olga,KAM for operations,2025-02-01,yes,yes\n"
            "P-Olga,Next course,2099-01-01,no,yes\n",
            "sponsor-visits": "account_id,sponsor_person_id,date,kind,people_met,notes\n"
            "A1,P-Sam,2025-03-01,visit,C1,Met procurement\n",
        }
    )
    assert CompetencyAssessment.objects.filter(person__name="Alice").count() == 2
    assert TrainingRecord.objects.filter(completed=True, kam_training=True).count() == 1
    visit = SponsorVisit.objects.get()
    assert visit.people_met.get().contact_id == "C1"
    # Importing the same files again changes nothing.
    import_files(
        {
            "sponsor-visits": "account_id,sponsor_person_id,date,kind,people_met,notes\n"
            "A1,P-Sam,2025-03-01,visit,C1,Met procurement\n"
        }
    )
    assert SponsorVisit.objects.count() == 1


def test_bad_competency_rows_and_a_visit_by_someone_else(org, import_files):
    with pytest.raises(ImportFailed) as err:
        import_files(
            {
                "competencies": "person_id,competency,level,assessed_on\n"
                "P-Alice,charm,3,2025-01-10\n"
                "P-Alice,planning,7,2025-01-10\n"
            }
        )
    text = str(err.value)
    assert "row 3, column level" in text and "between 1 and 5" in text
    with pytest.raises(ImportFailed) as err:
        import_files({"sponsor-visits": "account_id,sponsor_person_id,date\nA1,P-Bob,2025-03-01\n"})
    assert "was not the sponsor of A1 on 2025-03-01" in str(err.value)
    assert not SponsorVisit.objects.exists()


def test_assignments_import_builds_history_and_enforces_the_rules(org, import_files):
    # Dana is a second full-time KAM; Cleo a C-level executive.
    Person.objects.create(
        person_id="P-Dana",
        name="Dana",
        role="kam",
        function="key_account_management",
        full_time_kam=True,
    )
    Person.objects.create(person_id="P-Cleo", name="Cleo", executive_level="c_level")
    import_files(
        {
            "assignments": "account_id,role,person_id,start_date,reason\n"
            "A2,sponsor,P-Cleo,2024-01-01,launch\n"
            "A1,kam,P-Alice,2023-01-01,launch\n"
            "A2,kam,P-Bob,2023-01-01,launch\n"
        }
    )
    # The same file again changes nothing.
    count = Assignment.objects.count()
    import_files(
        {
            "assignments": "account_id,role,person_id,start_date,reason\n"
            "A2,sponsor,P-Cleo,2024-01-01,launch\n"
            "A1,kam,P-Alice,2023-01-01,launch\n"
            "A2,kam,P-Bob,2023-01-01,launch\n"
        }
    )
    assert Assignment.objects.count() == count
    rows = Assignment.objects.filter(account__account_id="A2").order_by("role", "start")
    assert [(r.role, r.person.name, r.start, r.end, r.source) for r in rows] == [
        ("kam", "Bob", dt.date(2023, 1, 1), None, "import"),
        ("sponsor", "Cleo", dt.date(2024, 1, 1), None, "import"),
    ]
    # A file that leaves Bob with no key account (A2 to Dana) is refused, naming the row
    # and the rule; nothing of it is loaded.
    with pytest.raises(ImportFailed) as err:
        import_files(
            {
                "assignments": "account_id,role,person_id,start_date,reason\n"
                "A1,sponsor,P-Cleo,2025-01-01,second account for Cleo\n"
                "A2,kam,P-Dana,2025-07-01,handover\n"
            }
        )
    text = str(err.value)
    assert "assignments.csv, row 3, column person_id" in text
    assert "KAM load: at least" in text and "Bob would carry 0 key accounts as KAM" in text
    assert Account.objects.get(account_id="A2").kam.name == "Bob"
    assert Account.objects.get(account_id="A1").sponsor.name == "Sam"
    # A row dated before the current holder's start is refused too.
    with pytest.raises(ImportFailed) as err:
        import_files(
            {"assignments": "account_id,role,person_id,start_date\nA2,sponsor,P-Sam,2023-06-01\n"}
        )
    assert "is before the current sponsor of A2 started (2024-01-01)" in str(err.value)


def test_only_an_administrator_changes_roles_by_import(org, tmp_path, settings):
    """Given: Alice is a KAM. The champion's people import may update her title but not
    make her an administrator, nor bring in a new person with another role than viewer;
    the refusal names the file, the row and the column, and nothing is loaded. An
    administrator's import may; the operator's CLI (no user) acts as the administrator."""
    from django.contrib.auth import get_user_model

    from openkam.web.ingest import run_import

    settings.DATA_DIR = tmp_path
    path = tmp_path / "people.csv"
    alice = Person.objects.get(name="Alice")
    chris = org["users"]["Chris"]
    path.write_text(
        "person_id,name,email,role,title\n"
        f"{alice.person_id},Alice,alice@x.example,admin,Head of everything\n"
        "P-New,Nina,nina@x.example,kam,KAM\n"
        "P-Vi,Vi,vi@x.example,viewer,Analyst\n"
    )
    with pytest.raises(ImportFailed) as err:
        run_import("people", [path], user=chris, actor="web")
    text = str(err.value)
    assert "people.csv, row 2, column role" in text and "only an administrator changes" in text
    assert "people.csv, row 3, column role" in text and "only an administrator gives" in text
    assert "row 4" not in text
    alice.refresh_from_db()
    assert (alice.role, alice.title) == ("kam", "")
    assert not Person.objects.filter(person_id__in=["P-New", "P-Vi"]).exists()
    # The same roles as stored: the champion's import goes through.
    path.write_text(
        f"person_id,name,email,role,title\n{alice.person_id},Alice,alice@x.example,kam,KAM Lead\n"
    )
    run_import("people", [path], user=chris, actor="web")
    alice.refresh_from_db()
    assert (alice.role, alice.title) == ("kam", "KAM Lead")
    # An administrator changes roles.
    admin = get_user_model().objects.create_user("ada")
    Person.objects.create(person_id="P-Ada", name="Ada", role="admin", user=admin)
    path.write_text(
        f"person_id,name,email,role,title\n{alice.person_id},Alice,alice@x.example,sponsor,VP\n"
    )
    run_import("people", [path], user=admin, actor="web")
    alice.refresh_from_db()
    assert alice.role == "sponsor"
