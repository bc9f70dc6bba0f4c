"""Command line: `explainer [explain] FILE`, `show`, `search`, `kb build|check|coverage`.

A bare `explainer` (or `explainer err.txt`) runs `explain`, so `python train.py 2>&1 | explainer`
works. Heavy modules are imported inside the commands that need them; torch and textual never
on the explain path. Exit codes: 0 explained, 1 error found but not matched, 2 no error found or
a usage error, 3 an internal failure (one line, never a Python traceback).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from explainer import __version__

EXIT_EXPLAINED = 0
EXIT_UNMATCHED = 1
EXIT_NO_ERROR = 2
EXIT_INTERNAL = 3

STATUS_EXIT = {
    "explained": EXIT_EXPLAINED,
    "unmatched": EXIT_UNMATCHED,
    "no_error_found": EXIT_NO_ERROR,
}


class DefaultGroup(click.Group):
    """A group that runs `explain` when the first argument is not a command."""

    default_command = "explain"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def _fail(message: str, code: int) -> None:
    click.echo(f"explainer: {message}", err=True)
    sys.exit(code)


def open_kb(db: str | None) -> Any:
    from explainer.kb.store import DatabaseError, KnowledgeBase

    try:
        return KnowledgeBase(Path(db) if db else None)
    except DatabaseError as exc:
        _fail(str(exc), EXIT_INTERNAL)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="explainer")
def cli() -> None:
    """Explain a PyTorch shape error: the cause, the arithmetic behind its numbers, the fix.

    \b
      python train.py 2>&1 | explainer
      explainer explain err.txt --json
    """


DB_OPTION = click.option("--db", envvar="EXPLAINER_DB", help="Knowledge-base file to use.")


@cli.command()
@click.argument("file", default="-", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (schema_version 1).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default=None,
    help="Output format (default: text).",
)
@click.option("--color/--no-color", default=None, help="Force colour on or off (default: auto).")
@click.option("--no-source", is_flag=True, help="Do not read the source files the traceback names.")
@DB_OPTION
def explain(
    file: str, as_json: bool, fmt: str | None, color: bool | None, no_source: bool, db: str | None
) -> None:
    """Explain the last error in FILE ('-' or nothing: standard input)."""
    from explainer.explain import explain_text
    from explainer.inputs import InputError, read_input

    fmt = "json" if as_json else (fmt or "text")
    if file == "-" and sys.stdin.isatty():
        click.echo("Paste the traceback, then press Ctrl-D (Ctrl-Z Enter on Windows):", err=True)
    try:
        source = read_input(file)
    except InputError as exc:
        _fail(str(exc), EXIT_NO_ERROR)
    if not source.text.strip():
        if fmt == "json":
            _emit_empty_json()
        _fail("the input is empty: pipe a traceback in, or give a file", EXIT_NO_ERROR)
    kb = open_kb(db)
    exp = explain_text(source.text, kb, read_source=not no_source)
    if source.truncated:
        exp.notes.append(
            f"read the last {len(source.text.encode()) // (1024 * 1024)} MiB of "
            f"{source.total_bytes / (1024 * 1024):,.0f} MiB: the last traceback is in the tail"
        )
    code = STATUS_EXIT[exp.status]
    try:
        click.echo(_render(exp, fmt, color), nl=False, color=True)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    sys.exit(code)


def _silence_stdout() -> None:
    """The reader went away (`explainer err.txt | head`): drop the rest quietly."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _emit_empty_json() -> None:
    import json

    click.echo(json.dumps({"schema_version": 1, "status": "no_error_found", "error": None}))


def _render(exp: Any, fmt: str, color: bool | None) -> str:
    if fmt == "json":
        from explainer.render.json_ import render_json

        return render_json(exp) + "\n"
    if fmt == "markdown":
        from explainer.render.markdown import render_markdown

        return render_markdown(exp)
    from explainer.render.text import render_text, want_color

    return render_text(exp, color=want_color(sys.stdout.isatty(), color))


@cli.command()
@click.argument("entry_id")
@click.option("--json", "as_json", is_flag=True)
@DB_OPTION
def show(entry_id: str, as_json: bool, db: str | None) -> None:
    """Print one knowledge-base entry."""
    from explainer.render.entry import entry_dict, render_entry

    kb = open_kb(db)
    entry = kb.get(entry_id)
    if entry is None:
        near = kb.search(entry_id.replace("-", " "), limit=3)
        hint = f"; did you mean {', '.join(n['id'] for n in near)}?" if near else ""
        _fail(f"no entry {entry_id!r}{hint}", EXIT_NO_ERROR)
    if as_json:
        import json

        click.echo(json.dumps(entry_dict(kb, entry), indent=2, ensure_ascii=False))
    else:
        click.echo(render_entry(kb, entry), nl=False)


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=10, show_default=True)
@DB_OPTION
def search(query: tuple[str, ...], as_json: bool, limit: int, db: str | None) -> None:
    """Full-text search over the knowledge base."""
    kb = open_kb(db)
    hits = kb.search(" ".join(query), limit=limit)
    if as_json:
        import json

        click.echo(json.dumps(hits, indent=2))
    elif not hits:
        click.echo("no entries match", err=True)
    else:
        width = max(len(h["id"]) for h in hits)
        for h in hits:
            click.echo(f"{h['id']:<{width}}  {h['family']:<20}  {h['title']}")
    sys.exit(0 if hits else EXIT_UNMATCHED)


@cli.group()
def kb() -> None:
    """Build and check the knowledge base."""


def _kb_dir(path: str | None) -> Path:
    from explainer.kb.store import SOURCE_ROOT

    return Path(path) if path else SOURCE_ROOT / "kb"


@kb.command("build")
@click.option("--kb-dir", help="Folder with entries/ (default: the source tree's kb/).")
@click.option("--out", help="Database to write (default: data/kb.sqlite).")
def kb_build(kb_dir: str | None, out: str | None) -> None:
    """Rebuild the SQLite knowledge base from kb/entries."""
    from explainer.kb.build import build
    from explainer.kb.entry import EntryError
    from explainer.kb.store import SOURCE_ROOT

    src = _kb_dir(kb_dir)
    if not (src / "entries").is_dir():
        _fail(f"no entries folder at {src / 'entries'}", EXIT_NO_ERROR)
    target = Path(out) if out else SOURCE_ROOT / "data" / "kb.sqlite"
    try:
        count = build(src, target)
    except EntryError as exc:
        _fail(f"not built: {exc}", EXIT_UNMATCHED)
    click.echo(f"built {target} with {count} entries")


@kb.command("check")
@click.option("--kb-dir", help="Folder with entries/ (default: the source tree's kb/).")
@DB_OPTION
def kb_check(kb_dir: str | None, db: str | None) -> None:
    """Validate every entry: schema, regexes, examples match, near-misses do not."""
    from explainer.kb.check import check_entries

    problems, count = check_entries(_kb_dir(kb_dir), Path(db) if db else None)
    for problem in problems:
        click.echo(problem)
    click.echo(f"{count} entries checked, {len(problems)} problem(s)")
    sys.exit(EXIT_UNMATCHED if problems else 0)


@kb.command("coverage")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.option("--field", default=None, help="Field holding the text (default: example or text).")
@DB_OPTION
def kb_coverage(file: str, as_json: bool, field: str | None, db: str | None) -> None:
    """How many examples of a JSONL file are explained, by family, and which are missed."""
    from explainer.kb.coverage import CoverageError, coverage, render_coverage

    kb_ = open_kb(db)
    try:
        report = coverage(Path(file), kb_, field)
    except CoverageError as exc:
        _fail(str(exc), EXIT_NO_ERROR)
    if as_json:
        import json

        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(render_coverage(report), nl=False)


def main() -> None:
    """Entry point: run the CLI, turning any internal failure into one line and exit code 3."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_NO_ERROR)
    except click.exceptions.Abort:
        click.echo("explainer: aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the promise: never a traceback of our own
        click.echo(f"explainer: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
