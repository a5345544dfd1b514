"""content/deliverables.yml and the `deliverables:` key of content files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from comms.catalogue.content_files import export_tree, import_tree
from comms.catalogue.models import Deliverable, Item, ItemDeliverable, WorkPackage
from comms.errors import ValidationFailed
from tests.factories import write_content

REGISTER = """\
work_packages:
  - {code: WP2, title: Communication}
  - {code: T1, title: StressTest}
deliverables:
  - code: D2.1
    title: Communication plan
    work_package: WP2
    due: 2027-03-31
    description: How the project tells its story.
  - {code: D.T1.2.1, title: StressTest reports, work_package: T1, due: 2018-06-30}
"""
NEWS = """---
title: Plan adopted
published_at: 2018-05-15T09:00:00Z
deliverables: [D2.1]
---
Body.
"""
OLD_REPORT = """---
title: "StressTest report: Lombardia"
published_at: 2018-05-15T09:00:00Z
report_type: StressTest report
deliverable: D.T1.2.1
work_package: T1
---
Body.
"""


def _links(session) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted(
        session.execute(
            select(Item.slug, Deliverable.code)
            .join(ItemDeliverable, ItemDeliverable.item_id == Item.id)
            .join(Deliverable, Deliverable.id == ItemDeliverable.deliverable_id)
        ).all()
    )


def test_register_file_and_links_of_any_kind_are_imported(session, store, content_dir):
    (content_dir / "deliverables.yml").write_text(REGISTER)
    write_content(content_dir, "press-releases/plan.en.md", NEWS)
    write_content(content_dir, "reports/lombardia.en.md", OLD_REPORT)
    first = import_tree(session, store, content_dir)
    session.commit()
    assert (first.created, first.register) == (2, 4)
    codes = session.scalars(select(WorkPackage.code).order_by(WorkPackage.code))
    assert codes.all() == ["T1", "WP2"]
    plan = session.scalars(select(Deliverable).where(Deliverable.code == "D2.1")).one()
    assert (plan.work_package.code, plan.due.isoformat()) == ("WP2", "2027-03-31")
    # The report's own `deliverable` code links it: old content files keep working.
    assert _links(session) == [("lombardia", "D.T1.2.1"), ("plan", "D2.1")]
    again = import_tree(session, store, content_dir)
    assert (again.created, again.updated, again.register) == (0, 0, 0)


def test_export_round_trip_keeps_register_and_links(
    session, store, content_dir, tmp_path
):
    (content_dir / "deliverables.yml").write_text(REGISTER)
    write_content(content_dir, "press-releases/plan.en.md", NEWS)
    write_content(content_dir, "reports/lombardia.en.md", OLD_REPORT)
    import_tree(session, store, content_dir)
    session.commit()
    first = tmp_path / "first"
    export_tree(session, store, first)
    exported = (first / "press-releases/plan.en.md").read_text()
    assert "deliverables:\n- D2.1" in exported or "deliverables: [D2.1]" in exported
    assert "deliverables:" not in (first / "reports/lombardia.en.md").read_text()
    assert "D2.1" in (first / "deliverables.yml").read_text()
    session.query(ItemDeliverable).delete()
    session.commit()
    import_tree(session, store, first)
    session.commit()
    assert _links(session) == [("lombardia", "D.T1.2.1"), ("plan", "D2.1")]
    second = tmp_path / "second"
    export_tree(session, store, second)
    for path in sorted(p for p in first.rglob("*") if p.is_file()):
        assert (second / path.relative_to(first)).read_bytes() == path.read_bytes()


def test_unregistered_report_code_stays_text(session, store, content_dir):
    write_content(content_dir, "reports/lombardia.en.md", OLD_REPORT)
    import_tree(session, store, content_dir)
    session.commit()
    assert session.scalars(select(Item.deliverable)).one() == "D.T1.2.1"
    assert _links(session) == []


@pytest.mark.parametrize(
    ("register_text", "item_text", "reason"),
    [
        (REGISTER, NEWS.replace("[D2.1]", "[D9.9]"),
         "plan.en.md: deliverables: D9.9 not in the register"),
        (None, NEWS, "plan.en.md: deliverables: D2.1 not in the register"),
        (REGISTER, NEWS.replace("[D2.1]", "[2.1]"),
         "plan.en.md: deliverables: '2.1' is not a deliverable code"),
        (REGISTER.replace("code: D2.1", "code: X2.1"), NEWS,
         "deliverables.yml: deliverables: X2.1: code: 'X2.1' is not a deliverable"),
        (REGISTER.replace("due: 2027-03-31", "due: soon"), NEWS,
         "deliverables.yml: deliverables: D2.1: due: 'soon' is not a date"),
        (REGISTER.replace("work_package: WP2", "work_package: WP7"), NEWS,
         "D2.1: work_package WP7 is not among the work_packages"),
        (REGISTER.replace("- {code: T1,", "- {code: WP2,"), NEWS,
         "work_packages: WP2 is declared twice"),
        (REGISTER + "owner: me\n", NEWS,
         "deliverables.yml: expected only the keys work_packages and deliverables"),
    ],
)  # fmt: skip
def test_bad_reference_or_register_is_refused_with_path_and_reason(
    session, store, content_dir, register_text, item_text, reason
):
    if register_text is not None:
        (content_dir / "deliverables.yml").write_text(register_text)
    write_content(content_dir, "press-releases/plan.en.md", item_text)
    with pytest.raises(ValidationFailed) as caught:
        import_tree(session, store, content_dir)
    session.rollback()
    assert any(reason in problem for problem in caught.value.problems), (
        caught.value.problems
    )
    assert str(content_dir) in "\n".join(caught.value.problems)
    for model in (Item, Deliverable, WorkPackage):
        assert session.scalar(select(func.count()).select_from(model)) == 0


def test_cli_import_names_a_bad_reference(runner, content_dir: Path):
    write_content(content_dir, "press-releases/plan.en.md", NEWS)
    result = runner.invoke(args=["import", str(content_dir)])
    assert result.exit_code != 0
    assert "plan.en.md: deliverables: D2.1 not in the register" in result.output
