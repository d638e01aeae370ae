"""`newswatch cases` and `newswatch case ID`: the detention case ledger."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from pipeline.models import Case
from workers.app import App
from workers.cases import get_case, list_cases
from workers.cli.common import command_settings, err, out, print_json


def case_json(case: Case) -> dict[str, Any]:
    return case.model_dump(mode="json")


def print_case(case: Case) -> None:
    out.print(
        f"[bold]{case.person}[/] ({case.id}) · {case.nationality or 'nationality unknown'} · "
        f"{case.charge or 'charge unknown'} · {case.place or 'place unknown'} · now [cyan]{case.status}[/]"
    )
    if case.variants:
        out.print("also reported as: " + ", ".join(case.variants))
    table = Table(title="timeline")
    table.add_column("date", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("records", no_wrap=True)
    table.add_column("evidence", ratio=3)
    for step in case.steps:
        table.add_row(step.date or "", step.status, ", ".join(i[:8] for i in step.record_ids), step.evidence)
    out.print(table)


def register(app: typer.Typer) -> None:
    @app.command()
    def cases(
        as_json: Annotated[bool, typer.Option("--json", help="one JSON case a line")] = False,
        limit: Annotated[int, typer.Option(min=1)] = 100,
    ) -> None:
        """Detention cases, most recently updated first, with where each now stands."""
        with App.open(command_settings()) as nw:
            found = list_cases(nw, limit=limit)
        if as_json:
            for case in found:
                print_json(case_json(case))
            return
        table = Table(title=f"{len(found)} cases")
        for col in (
            "id",
            "person",
            "nationality",
            "charge",
            "place",
            "status",
            "since",
            "last step",
            "records",
        ):
            table.add_column(col)
        for c in found:
            dates = [s.date for s in c.steps if s.date]
            table.add_row(
                c.id,
                c.person,
                c.nationality or "",
                c.charge or "",
                c.place or "",
                c.status,
                min(dates) if dates else "",
                max(dates) if dates else "",
                str(len(c.record_ids)),
            )
        out.print(table)

    @app.command()
    def case(
        case_id: Annotated[str, typer.Argument(help="case id, as `newswatch cases` lists it")],
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """One detention case with its status timeline and source records."""
        with App.open(command_settings()) as nw:
            found = get_case(nw, case_id)
        if found is None:
            err.print(f"no case {case_id}")
            raise typer.Exit(1)
        if as_json:
            print_json(case_json(found))
        else:
            print_case(found)
