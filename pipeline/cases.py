"""Detention events -> case reports -> one case per person, with a status timeline. Pure.

An article's detention, release and consular events that name the same detainee
make one ``CaseReport``: who (a known person's id, a name, a surname with a
nationality, or only a nationality), where, on what charge, and the steps it
reports (detained, charged, custody extended, sentenced, appeal decided,
released, exchanged), each with the date the sentence gives.

``match`` decides which stored case a report belongs to: the same person id
first; then a surname or anonymous report ("a South Korean pastor detained in
Vladivostok") joins the one case of that nationality that agrees on surname, or
on place or charge. ``merge`` folds a report into a case and returns the steps
that are new: what an alert fires on. Two reports of one step (a custody
extension reported by three outlets, with or without its date) are one step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from pipeline.models import Case, CaseStep, Event

STATUS_ORDER = (
    "detained",
    "charged",
    "custody_extended",
    "trial",
    "sentenced",
    "appeal_decided",
    "released",
    "exchanged",
)
REPEATABLE = frozenset({"custody_extended", "appeal_decided"})
TRIED = frozenset({"charged", "trial", "sentenced", "appeal_decided"})
REVIEW_AFTER_DAYS = (
    60  # a sentence sooner than this after the detention, with no charge or trial, is doubtful
)
ACTIVE_DAYS = 365  # a report without the detainee's full name joins a case in the news this recently
SAME_STEP_DAYS = 10  # two reports of one repeatable step within this many days are one step


@dataclass
class CaseReport:
    key: str
    case_id: str | None
    person: str | None
    nationality: str | None
    place: str | None = None
    charge: str | None = None
    surname: str | None = None
    steps: list[tuple[str, str | None, str]] = field(default_factory=list)  # (status, date, evidence)
    aliases: list[str] = field(default_factory=list)  # other spellings the same article gives


def _case_id(key: str) -> str | None:
    kind, _, rest = key.partition(":")
    if kind == "id":
        return rest
    if kind in ("name", "surname"):
        name, _, nationality = rest.partition(":")
        return "-".join(p for p in (nationality.casefold().replace(" ", "-"), name) if p)
    return None  # only a nationality: a case to find, not to open


def reports(events: tuple[Event, ...] | list[Event]) -> list[CaseReport]:
    """One report per detainee named by the reported (not background) case events."""
    by_key: dict[str, CaseReport] = {}
    for ev in events:
        if ev.background or not ev.person_key:
            continue
        rep = by_key.get(ev.person_key)
        if rep is None:
            kind = ev.person_key.split(":", 1)[0]
            rep = by_key[ev.person_key] = CaseReport(
                key=ev.person_key,
                case_id=_case_id(ev.person_key),
                person=ev.target,
                nationality=ev.nationality,
                surname=ev.person_key.split(":")[1] if kind == "surname" else None,
            )
        rep.place = rep.place or ev.place
        rep.charge = rep.charge or ev.charge
        if ev.status:
            rep.steps.append((ev.status, ev.date, ev.evidence))
    # another spelling of a known detainee in the same article ("giving his name as Baek Kwang-soon"):
    # the same person, whatever nationality its sentence seemed to give
    for key, rep in list(by_key.items()):
        if not key.startswith("name:") or not rep.person:
            continue
        known = [
            r for r in by_key.values() if r.key.startswith("id:") and _same_surname(r.person, rep.person)
        ]
        if len(known) == 1:
            known[0].steps.extend(rep.steps)
            known[0].aliases.append(rep.person)
            del by_key[key]
    # "a South Korean" in an article that names one South Korean detainee is that detainee
    for key, rep in list(by_key.items()):
        if not key.startswith("anon:"):
            continue
        named = [r for r in by_key.values() if r is not rep and r.nationality == rep.nationality]
        if len(named) == 1:
            named[0].steps.extend(rep.steps)
            named[0].place = named[0].place or rep.place
            named[0].charge = named[0].charge or rep.charge
            del by_key[key]
    return list(by_key.values())


def case_ids(events: tuple[Event, ...] | list[Event]) -> tuple[str, ...]:
    """The cases an article names by person (before the ledger joins anonymous reports)."""
    return tuple(sorted({r.case_id for r in reports(events) if r.case_id}))


def _surname(person: str | None) -> str:
    """The romanization-proof key of a name's first word (a Korean name's surname), or ""."""
    from pipeline.entities import skeleton

    words = (person or "").replace("-", " ").split()
    return skeleton(words[0]) if words else ""


def _same_surname(a: str | None, b: str | None) -> bool:
    key = _surname(a)
    return bool(key) and key == _surname(b)


def match(report: CaseReport, cases: list[Case], reported_at: datetime | None = None) -> str | None:
    """The stored case this report is about, or None for a new one.

    A report that does not name its detainee in full joins only a case that was in the news within
    ACTIVE_DAYS of it (when both have dates): a pastor held years earlier is another person."""
    if report.case_id and any(c.id == report.case_id for c in cases):
        return report.case_id
    if report.key.startswith("name:") and report.person:
        # a spelling an earlier article gave as the other name of a known detainee
        spelled = [c for c in cases if report.person in c.variants and c.id != report.case_id]
        if len(spelled) == 1:
            return spelled[0].id
    if report.key.startswith(("id:", "name:")):
        return None
    same_nat = [c for c in cases if c.nationality == report.nationality and _active(c, reported_at)]
    if report.surname:
        named = [c for c in same_nat if _surname(c.person) == report.surname]
        return named[0].id if len(named) == 1 else None
    agreeing = [
        c
        for c in same_nat
        if (report.place and report.place in (c.place, *c.variants))
        or (report.charge and report.charge == c.charge)
    ]
    return agreeing[0].id if len(agreeing) == 1 else None


def _active(case: Case, reported_at: datetime | None) -> bool:
    """Whether the case had a step reported within ACTIVE_DAYS of ``reported_at`` (unknown: yes)."""
    if reported_at is None:
        return True
    days = [
        d
        for step in case.steps
        for d in (step.first_reported, *step.reported_on.values())
        if d and len(d) >= 10
    ]
    if not days:
        return True
    day = reported_at.date()
    return any(abs((date.fromisoformat(d[:10]) - day).days) <= ACTIVE_DAYS for d in days)


def _days(a: str | None, b: str | None) -> int | None:
    if not a or not b or len(a) < 10 or len(b) < 10:
        return None
    return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)


def _same_step(step: CaseStep, status: str, when: str | None) -> bool:
    if step.status != status:
        return False
    if status not in REPEATABLE:
        return True
    gap = _days(step.date, when)
    return gap is None or gap <= SAME_STEP_DAYS


def contradiction(steps: list[CaseStep], status: str, when: str | None, review_after_days: int) -> str | None:
    """Why a new step cannot follow the case's timeline as it stands, or None when it can."""
    detained = [s.date for s in steps if s.status == "detained" and s.date and not s.review]
    if status in ("released", "exchanged") and when and detained and min(detained)[:10] > when[:10]:
        return f"{status} on {when}, before the detention on {min(detained)}"
    if status in ("sentenced", "appeal_decided") and not any(
        s.status in TRIED and not s.review for s in steps
    ):
        gap = _days(min(detained), when) if detained and when else None
        if gap is not None and gap < review_after_days:
            return f"{status} {gap} days after the detention, with no charge or trial reported"
    return None


def merge(
    case: Case | None,
    report: CaseReport,
    case_id: str,
    record_id: str,
    published: datetime | None,
    review_after_days: int = REVIEW_AFTER_DAYS,
    reported_at: datetime | None = None,
) -> tuple[Case, list[CaseStep]]:
    """The case with this report folded in, and the steps that are new (a step that contradicts the
    timeline is kept with its reason for review, and is not new: nobody is alerted on it)."""
    now = published
    if case is None:
        case = Case(
            id=case_id,
            person=report.person or case_id,
            nationality=report.nationality,
            first_seen=now,
        )
    steps = list(case.steps)
    new: list[CaseStep] = []
    fallback = published.date().isoformat() if published else None
    reported = reported_at.date().isoformat() if reported_at else None  # its own date, never fetch time
    for status, when, evidence in report.steps:
        at = next((i for i, s in enumerate(steps) if _same_step(s, status, when or fallback)), None)
        mention = {record_id: reported} if reported else {}
        if at is None:
            step = CaseStep(
                case_id=case_id,
                status=status,
                date=when or fallback,
                evidence=evidence,
                record_ids=(record_id,),
                review=contradiction(steps, status, when or fallback, review_after_days),
                first_reported=reported,
                reported_on=mention,
            )
            steps.append(step)
            if step.review is None:
                new.append(step)
        else:
            old = steps[at]
            first = min(d for d in (old.first_reported or old.date, reported) if d) if reported else None
            if _recalled(reported, first, review_after_days):
                continue  # long after the step was first reported: the article recalls it
            reported_on = {**old.reported_on, **mention}
            # an earlier report makes the later undated mentions of the step what they are: recollections
            ids = [
                i
                for i in dict.fromkeys((*old.record_ids, record_id))
                if not _recalled(reported_on.get(i), first, review_after_days)
            ]
            steps[at] = old.model_copy(
                update={
                    "record_ids": tuple(ids),
                    "date": _better_date(old.date, when, status),
                    "first_reported": first or old.first_reported,
                    "reported_on": reported_on,
                }
            )
    steps.sort(
        key=lambda s: (s.date or "9999", STATUS_ORDER.index(s.status) if s.status in STATUS_ORDER else 99)
    )
    variants = case.variants
    for spelling in (report.person, *report.aliases):
        if spelling and spelling != case.person and spelling not in variants:
            variants = (*variants, spelling)
    known_person = report.key.startswith(("id:", "name:")) and report.person
    updated = case.model_copy(
        update={
            "person": report.person
            if (known_person and case.person.startswith(("a ", "South", "Russia")))
            else case.person,
            "variants": variants,
            "place": case.place or report.place,
            "charge": case.charge or report.charge,
            "nationality": case.nationality or report.nationality,
            "status": _status(steps, case.status),
            "steps": tuple(steps),
            "record_ids": case.record_ids if record_id in case.record_ids else (*case.record_ids, record_id),
            "updated_at": now or case.updated_at,
        }
    )
    return updated, new


def _recalled(reported: str | None, first: str | None, days: int) -> bool:
    """Whether an article of day ``reported`` comes so long after a step was first reported (``first``)
    that, naming it without a date of its own, it recalls the step rather than reports it."""
    if not reported or not first or len(first) < 7:
        return False
    first_day = date.fromisoformat(first if len(first) == 10 else f"{first[:7]}-01")
    return (date.fromisoformat(reported[:10]) - first_day).days > days


def _better_date(old: str | None, new: str | None, status: str) -> str | None:
    """A detention began at the earliest date any report gives; other steps keep the most precise."""
    if not new:
        return old
    if not old:
        return new
    if status not in REPEATABLE and new[:7] < old[:7]:
        return new
    return new if len(new) > len(old) and new.startswith(old) else old


def _status(steps: list[CaseStep], default: str) -> str:
    ranked = [s.status for s in steps if s.status in STATUS_ORDER and s.review is None]
    return max(ranked, key=STATUS_ORDER.index) if ranked else default
