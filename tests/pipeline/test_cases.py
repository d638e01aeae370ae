from datetime import UTC, datetime

from pipeline.cases import CaseReport, match, merge, reports
from pipeline.models import Case, Event

T = datetime(2024, 3, 13, tzinfo=UTC)


def ev(status: str, date: str | None, key: str = "id:baek-won-soon", **kw: str) -> Event:
    return Event(
        type="detention",
        evidence=f"{status} sentence",
        confidence=0.8,
        status=status,
        date=date,
        person_key=key,
        target=kw.get("target", "Baek Won-soon"),
        nationality="South Korea",
        place=kw.get("place"),
        charge=kw.get("charge"),
    )


def test_a_case_gathers_steps_and_only_new_steps_are_returned() -> None:
    [first] = reports([ev("detained", "2024-01", place="Vladivostok", charge="espionage")])
    case, new = merge(None, first, "baek-won-soon", "rec1", T)
    assert [s.status for s in new] == ["detained"] and case.status == "detained"
    [second] = reports([ev("detained", "2024-03-13"), ev("custody_extended", "2024-03-11")])
    case, new = merge(case, second, "baek-won-soon", "rec2", T)
    assert [s.status for s in new] == ["custody_extended"]
    assert case.status == "custody_extended" and case.place == "Vladivostok"
    detained = next(s for s in case.steps if s.status == "detained")
    assert detained.date == "2024-01" and detained.record_ids == ("rec1", "rec2")
    # the same report again changes nothing
    again, new = merge(case, second, "baek-won-soon", "rec2", T)
    assert new == [] and again == case
    # a second extension three months later is a new step
    [third] = reports([ev("custody_extended", "2024-06-13")])
    case, new = merge(case, third, "baek-won-soon", "rec3", T)
    assert [s.date for s in new] == ["2024-06-13"]
    assert [s.status for s in case.steps] == ["detained", "custody_extended", "custody_extended"]


def test_background_events_make_no_steps() -> None:
    old = ev("detained", "2023-03-30", key="id:evan-gershkovich").model_copy(update={"background": True})
    assert reports([old]) == []


def test_anonymous_and_surname_reports_join_the_one_matching_case() -> None:
    baek = Case(id="baek-won-soon", person="Baek Won-soon", nationality="South Korea", place="Vladivostok")
    other = Case(id="south-korea-jung", person="Jung", nationality="South Korea", place="Khabarovsk")
    anon = CaseReport(key="anon:south_korea", case_id=None, person=None, nationality="South Korea")
    anon.place = "Vladivostok"
    assert match(anon, [baek, other]) == "baek-won-soon"
    surname = CaseReport(
        key="surname:beg:South Korea", case_id="south-korea-beg", person="x", nationality="South Korea"
    )
    surname.surname = "beg"
    assert match(surname, [baek, other]) == "baek-won-soon"
    stranger = CaseReport(key="anon:south_korea", case_id=None, person=None, nationality="Russia")
    assert match(stranger, [baek, other]) is None


def test_an_anonymous_report_in_an_article_naming_the_detainee_is_that_detainee() -> None:
    events = [ev("detained", "2024-03-11", key="anon:south_korea"), ev("detained", "2024-01")]
    [one] = reports(events)
    assert one.key == "id:baek-won-soon" and len(one.steps) == 2
