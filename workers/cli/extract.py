"""`newswatch extract PATH_OR_URL...`: what newswatch keeps of a page, and with --explain what it cut."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from pipeline.clean import clean, decode_html
from pipeline.errors import PipelineError
from pipeline.models import Article, Page
from workers.cli.common import command_settings, err, out, print_json


def register(app: typer.Typer) -> None:
    app.command()(extract)


def _page(target: str, settings: Any) -> tuple[Page, dict[str, str]]:
    if target.startswith(("http://", "https://")):
        from workers.http import HttpClient, raise_for_status

        http = HttpClient(
            timeout_s=settings.http_timeout_s,
            max_bytes=settings.http_max_bytes,
            user_agent=settings.user_agent,
            allow_private=settings.allow_private_addresses,
        )
        try:
            resp = http.get(target)
            raise_for_status(resp)
        finally:
            http.close()
        html = decode_html(resp.body, resp.encoding)
        return Page(url=target, final_url=resp.final_url, html=html, origin="extract"), {"url": target}
    path = Path(target)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        import gzip

        raw = gzip.decompress(raw)
    url = f"https://extract.invalid/{path.name}"
    return Page(url=url, html=decode_html(raw), origin="extract"), {"source_path": str(path)}


def _as_json(article: Article, where: dict[str, str], explain: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        **where,
        "url": article.url if "url" in where else None,
        "title": article.title,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "published_precision": article.published_precision,
        "authors": list(article.authors),
        "language": article.language,
        "site_name": article.site_name,
        "field_sources": article.field_sources,
        "warnings": list(article.warnings),
        "text": article.text,
    }
    if explain:
        data["removed"] = [{"text": r.text, "reason": r.reason} for r in article.removed]
    return data


def extract(
    targets: Annotated[list[str], typer.Argument(help="HTML files (.html, .html.gz) or http(s) URLs")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="also show what was removed, and why")] = False,
) -> None:
    """Show what newswatch keeps of a page: its text and metadata (and, with --explain, what it cut)."""
    settings = command_settings()
    failed = 0
    for target in targets:
        try:
            page, where = _page(target, settings)
            article = clean(page, max_html_bytes=settings.http_max_bytes)
        except (PipelineError, OSError) as exc:
            failed += 1
            code = getattr(exc, "code", "unreadable")
            if as_json:
                key = "url" if target.startswith(("http://", "https://")) else "source_path"
                print_json({key: target, "rejected": f"{code}: {exc}", "text": None})
            else:
                err.print(f"[red]{escape(target)}: rejected ({code}): {escape(str(exc))}[/red]")
            continue
        if as_json:
            print_json(_as_json(article, where, explain))
            continue
        out.rule(escape(target))
        for label, value in (
            ("title", article.title),
            ("published", article.published_at.isoformat() if article.published_at else None),
            ("authors", ", ".join(article.authors) or None),
            ("language", article.language),
            ("site", article.site_name),
        ):
            source = article.field_sources.get("published_at" if label == "published" else label)
            note = f" ({source})" if source else ""
            out.print(f"[bold]{label}:[/bold] {escape(value or '-')}{note}", highlight=False)
        out.print()
        out.print(article.text, highlight=False, markup=False)
        if explain:
            out.print()
            out.print(f"[bold]removed ({len(article.removed)}):[/bold]")
            for r in article.removed:
                text = r.text if len(r.text) <= 160 else r.text[:157] + "..."
                out.print(f"  [dim]{escape(r.reason)}:[/dim] {escape(text)}", highlight=False)
    if failed == len(targets):
        raise typer.Exit(1)
