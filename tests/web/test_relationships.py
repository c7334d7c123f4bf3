"""Relationship maps: coverage-gap rules on hand-made maps, the map page, edits, import."""

from __future__ import annotations

import datetime as dt

from openkam.web.accounts.models import Contact
from openkam.web.relationships import coverage, services
from openkam.web.relationships.coverage import MapContact as C
from openkam.web.relationships.coverage import MapRelationship as R
from openkam.web.relationships.layout import tree_layout
from openkam.web.relationships.models import ContactProfile, Relationship

TODAY = dt.date(2025, 6, 30)

# A hand-made map: the CEO, the CFO and the buyer report up; the engineer to the buyer.
MAP = [
    C("ceo", "Cora CEO", None, 5, "neutral", "economic_buyer"),
    C("cfo", "Finn CFO", "ceo", 4, "detractor", "economic_buyer"),
    C("buy", "Bea Buyer", "ceo", 3, "supporter", "gatekeeper"),
    C("eng", "Emil Engineer", "buy", 2, "advocate", "technical_buyer"),
]


def rules(gaps):
    return {g.rule: g for g in gaps}


def test_top_level_uncovered_and_single_threaded():
    rels = [R("buy", "Alice", 5, TODAY), R("eng", "Alice", 4, TODAY), R("ceo", "Bob", 2, TODAY)]
    gaps = rules(coverage.coverage_gaps(MAP, rels, TODAY))
    assert gaps["top_level_uncovered"].contact_ids == ["ceo"]  # strength 2 < working (3)
    assert gaps["single_threaded"].detail == ["Alice"]
    assert gaps["high_influence_detractor"].contact_ids == ["cfo"]
    assert "left_company" not in gaps


def test_well_covered_map_has_no_structural_gaps():
    rels = [
        R("ceo", "Sam", 4, TODAY),
        R("cfo", "Fiona", 4, TODAY),
        R("buy", "Alice", 5, TODAY),
        R("eng", "Olga", 3, TODAY),
    ]
    friendly = [
        c if c.contact_id != "cfo" else C("cfo", "Finn CFO", "ceo", 4, "supporter") for c in MAP
    ]
    assert coverage.coverage_gaps(friendly, rels, TODAY) == []


def test_stale_contacts_after_n_days():
    rels = [
        R("ceo", "Sam", 4, TODAY - dt.timedelta(days=90)),  # exactly 90 days: not stale
        R("cfo", "Fiona", 4, TODAY - dt.timedelta(days=91)),
        R("cfo", "Alice", 2, TODAY - dt.timedelta(days=200)),  # the latest touch counts
        R("buy", "Alice", 5, TODAY),
    ]
    gap = coverage.stale_contacts(MAP, rels, TODAY, days=90)
    assert gap.contact_ids == ["cfo", "eng"]  # eng: never touched
    assert gap.detail[1] == "Emil Engineer: never"
    assert coverage.stale_contacts(MAP, rels, TODAY, days=30).contact_ids == ["ceo", "cfo", "eng"]


def test_left_company_lists_the_lost_relationships_and_reroots_the_tree():
    gone = [
        c if c.contact_id != "ceo" else C("ceo", "Cora CEO", None, 5, left_company=True)
        for c in MAP
    ]
    rels = [R("ceo", "Sam", 5, TODAY), R("cfo", "Fiona", 4, TODAY), R("buy", "Alice", 4, TODAY)]
    gaps = rules(coverage.coverage_gaps(gone, rels, TODAY))
    assert gaps["left_company"].detail == ["Cora CEO: relationships lost: Sam (strength 5)"]
    # With the CEO gone, the CFO and the buyer are the top level; both are covered.
    assert "top_level_uncovered" not in gaps


def test_no_strong_relationship_at_all():
    gap = coverage.single_threaded(MAP, [R("buy", "Alice", 3, TODAY)])
    assert gap.message == "No strong relationship with anyone at the account."


def test_tree_layout_stacks_reports_without_reports_and_centres_managers():
    from openkam.web.relationships.layout import GAP_STACK, INDENT, NODE_H, PAD, canvas_size

    placed = tree_layout(
        {"ceo": None, "cfo": "ceo", "buy": "ceo", "eng": "buy"}, ["buy", "cfo", "ceo", "eng"]
    )
    assert placed["ceo"].depth == 0 and placed["eng"].depth == 2
    # By hand: the CFO (no reports) is stacked in the first column, indented; the buyer's
    # column comes next (150 wide + 22 indent + 20 gap = 192 px on), the engineer under it.
    assert placed["cfo"].stacked and placed["cfo"].x == PAD + INDENT
    assert placed["buy"].x == placed["eng"].x == PAD + 192
    # The CEO sits centred between the stack's trunk (11 px in) and the buyer's column.
    assert placed["ceo"].x == ((PAD + INDENT / 2) + placed["buy"].x) / 2
    # Five reports without reports make one column, not five.
    five = tree_layout({"boss": None, **{f"r{i}": "boss" for i in range(5)}})
    assert {five[f"r{i}"].x for i in range(5)} == {PAD + INDENT}
    assert [five[f"r{i}"].y for i in range(5)] == [
        five["r0"].y + i * (NODE_H + GAP_STACK) for i in range(5)
    ]
    assert canvas_size(five)[0] == PAD + INDENT + 150 + PAD
    # A cycle still places every node once.
    assert set(tree_layout({"a": "b", "b": "a"})) == {"a", "b"}


def test_map_page_draws_nodes_and_gaps(programme, login):
    c1 = Contact.objects.get(contact_id="C1")
    ContactProfile.objects.create(contact=c1, influence=5, attitude="detractor")
    html = login(programme["users"]["Vera"]).get("/relationships/A1/").content.decode()
    assert "<svg" in html and "Carla Buyer" in html and "#f04438" in html
    assert "High-influence detractor: Carla Buyer" in html
    assert "Add a person" not in html  # viewers read only


def test_kam_adds_a_contact_and_a_relationship(programme, login):
    client = login(programme["users"]["Alice"])
    response = client.post(
        "/relationships/A1/contacts/add/",
        {
            "name": "Dora Director",
            "title": "Supply chain director",
            "reports_to": Contact.objects.get(contact_id="C1").pk,
            "buying_role": "economic_buyer",
            "influence": 4,
            "attitude": "supporter",
        },
    )
    assert response.status_code == 302
    dora = Contact.objects.get(name="Dora Director")
    assert dora.profile.influence == 4 and dora.reports_to.contact_id == "C1"
    response = client.post(
        f"/relationships/contact/{dora.contact_id}/relationships/",
        {"person": programme["people"]["Olga"].pk, "strength": 4, "last_contact": "2025-06-01"},
    )
    assert response.status_code == 302
    assert Relationship.objects.get(contact=dora).strength == 4
    assert (
        login(programme["users"]["Bob"])
        .post("/relationships/A1/contacts/add/", {"name": "X"})
        .status_code
        == 403
    )


def test_profile_conflict_is_shown(programme, login):
    c1 = Contact.objects.get(contact_id="C1")
    profile = services.profile_of(c1)
    services.update_profile(
        profile, {"attitude": "advocate"}, profile.version, programme["users"]["Olga"]
    )
    response = login(programme["users"]["Alice"]).post(
        "/relationships/contact/C1/profile/",
        {"buying_role": "other", "influence": 3, "attitude": "skeptic", "version": 1},
    )
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    profile.refresh_from_db()
    assert profile.attitude == "advocate"


def test_import_relationships_through_the_store(programme, tmp_path):
    from openkam.web.ingest import run_import

    c1 = Contact.objects.get(contact_id="C1")
    csv = tmp_path / "rels.csv"
    csv.write_text(
        "contact_id,person_id,strength,last_contact,notes\n"
        "C1,P-Alice,4,2025-05-01,golf\n"
        "C1,P-Olga,2,,\n"
    )
    first = run_import("relationships", [csv])
    assert (first["created"], first["updated"]) == (2, 0)
    again = run_import("relationships", [csv])
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    rel = Relationship.objects.get(contact=c1, person__person_id="P-Alice")
    assert rel.strength == 4 and rel.last_contact == dt.date(2025, 5, 1)
    csv.write_text("contact_id,person_id,strength\nC1,P-Alice,5\n")
    assert run_import("relationships", [csv])["updated"] == 1
    rel.refresh_from_db()
    assert rel.strength == 5 and rel.version == 2


def test_import_relationships_rejects_unknown_people(programme, tmp_path):
    import pytest

    from openkam.store import ImportFailed
    from openkam.web.ingest import run_import

    csv = tmp_path / "rels.csv"
    csv.write_text("contact_id,person_id,strength\nC1,P-Nobody,4\nC9,P-Alice,4\n")
    with pytest.raises(ImportFailed) as exc:
        run_import("relationships", [csv])
    reasons = {(i.column, i.reason) for i in exc.value.issues}
    assert ("person_id", "is not a known person") in reasons
    assert ("contact_id", "is not a known contact") in reasons
    assert not Relationship.objects.exists()
