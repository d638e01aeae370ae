"""Matching rules to records: what an alert is about, and the shape of alerts.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import load_file
from config.schema import AlertsFile
from pipeline.alerts import alert_key, joins, match
from pipeline.errors import ConfigError
from pipeline.models import CaseStep, DedupVerdict, Entity, Event
from tests.workers.test_notify import record

RULES = AlertsFile.model_validate(
    {
        "rules": [
            {"name": "detentions", "events": ["detention"], "destinations": ["log"]},
            {
                "name": "sentences",
                "events": ["detention"],
                "statuses": ["sentenced"],
                "destinations": ["log"],
            },
            {"name": "kim", "entities": ["Kim Jung-hoon"], "events": ["detention"], "destinations": ["log"]},
        ],
        "destinations": {"log": {"type": "log"}},
    }
)
CASE = "south_korea-kim-jung-hoon"


def test_five_outlets_one_arrest_one_key_per_rule() -> None:
    keys = {tuple(sorted(a.key for a in match(record(n, source=f"O{n}"), RULES))) for n in range(5)}
    assert len(keys) == 1
    (alerts,) = [match(record(0), RULES)]
    assert {a.rule for a in alerts} == {
        "detentions"
    }  # "kim": no such entity in the record; sentences: status
    (a,) = alerts
    assert a.key == alert_key("detentions", f"case:{CASE}", "detention", "detained")
    assert a.subject == f"case:{CASE}" and a.case_id == CASE and a.status == "detained"


def test_a_new_status_is_a_new_alert_and_status_filters_apply() -> None:
    sentenced = {a.rule: a for a in match(record(1, status="sentenced"), RULES)}
    assert set(sentenced) == {"detentions", "sentences"}
    assert sentenced["detentions"].key != match(record(0), RULES)[0].key


def test_with_ledger_steps_only_new_steps_raise_and_old_ones_are_joined() -> None:
    rec = record(0)
    assert match(rec, RULES, []) == []
    assert joins(rec, RULES, []) == [alert_key("detentions", f"case:{CASE}", "detention", "detained")]
    (a,) = match(rec, RULES, [CaseStep(case_id=CASE, status="detained")])
    assert a.key == alert_key("detentions", f"case:{CASE}", "detention", "detained")
    # a step of a status the record's events do not report does not fire the detention rule
    assert match(rec, RULES, [CaseStep(case_id=CASE, status="released")]) == []


def test_copies_raise_nothing_and_other_events_alert_per_story() -> None:
    copy = record(0, dedup=DedupVerdict(status="near_duplicate", duplicate_of="x"))
    assert match(copy, RULES) == [] and joins(copy, RULES) == []
    rules = AlertsFile.model_validate(
        {
            "rules": [{"name": "s", "events": ["sanctions"], "destinations": ["l"]}],
            "destinations": {"l": {"type": "log"}},
        }
    )
    sanction = Event(
        type="sanctions", evidence="Seoul added 11 entities to its export blacklist.", confidence=0.8
    )
    one = match(record(1, events=(sanction,), case_ids=()), rules)
    two = match(record(2, events=(sanction,), case_ids=(), source="Other"), rules)
    assert [a.key for a in one] == [a.key for a in two] == [alert_key("s", "story:story-kim", "sanctions")]
    # an anonymous detention (no detainee named, no ledger): per story and status
    anon = record(3, events=(record(3).events[0].model_copy(update={"person_key": None}),), case_ids=())
    (a,) = match(anon, RULES)
    assert a.subject == "story:story-kim" and a.status == "detained"


def test_entities_sources_relevance_and_background_filter() -> None:
    kim = Entity(id="kim-jung-hoon", type="person", name="Kim Jung-hoon")
    assert {a.rule for a in match(record(0, entities=(kim,)), RULES)} == {"detentions", "kim"}
    low = AlertsFile.model_validate(
        {
            "rules": [{"name": "r", "events": ["detention"], "min_relevance": 0.95, "destinations": ["l"]}],
            "destinations": {"l": {"type": "log"}},
        }
    )
    assert match(record(0), low) == []
    background = record(0).events[0].model_copy(update={"background": True})
    assert match(record(0, events=(background,)), RULES) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[rules]]\nname = "det"\nmin_confidence = 2\ndestinations = ["l"]\n[destinations.l]\ntype = "log"\n',
            "alerts.toml: rules[0].min_confidence: rule 'det': ",
        ),
        (
            '[[rules]]\nname = "det"\nstatuses = ["jailed"]\ndestinations = ["l"]\n[destinations.l]\ntype = "log"\n',
            "rules[0].statuses: rule 'det': unknown case status 'jailed'",
        ),
        (
            '[[rules]]\nname = "det"\ndestinations = ["hook"]\n[destinations.hook]\ntype = "webhook"\n',
            "destinations.hook: a webhook destination needs an http(s) url",
        ),
        (
            '[[rules]]\nname = "det"\ndestinations = ["c"]\n[destinations.c]\ntype = "command"\n',
            "destinations.c: a command destination needs 'command'",
        ),
        (
            '[[rules]]\nname = "det"\ndestinations = ["h"]\n[destinations.h]\ntype = "webhook"\n'
            'url = "https://example.org/h"\nsecret_env = "not a name"\n',
            "destinations.h: 'secret_env' must be the name of an environment variable",
        ),
        (
            '[[rules]]\nname = "det"\nbogus = 1\ndestinations = ["l"]\n[destinations.l]\ntype = "log"\n',
            "rules[0].bogus: rule 'det': Extra inputs are not permitted",
        ),
    ],
)
def test_invalid_rules_name_the_file_the_rule_and_the_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_file(path, AlertsFile)
    assert expected in str(info.value) and str(path) in str(info.value)


def test_the_issues_example_loads() -> None:
    text = (
        '[[rules]]\nname = "detentions"\nevents = ["detention"]\non_topic = true\ndestinations = ["hook"]\n\n'
        '[destinations.hook]\ntype = "webhook"\nurl = "https://example.org/hook"\n'
        'secret_env = "NEWSWATCH_HOOK_SECRET"\n'
    )
    import tomllib

    alerts = AlertsFile.model_validate(tomllib.loads(text))
    assert alerts.destinations["hook"].secret_env == "NEWSWATCH_HOOK_SECRET"
