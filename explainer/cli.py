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
from explainer.explain_command import (
    EXIT_EXPLAINED,
    EXIT_INTERNAL,
    EXIT_NO_ERROR,
    EXIT_UNMATCHED,
    STATUS_EXIT,
)

__all__ = ["EXIT_EXPLAINED", "EXIT_INTERNAL", "EXIT_NO_ERROR", "EXIT_UNMATCHED", "STATUS_EXIT"]


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
REDACT_OPTION = click.option(
    "--redact", is_flag=True, help="Replace home folders, user and host names (to paste in public)."
)
NO_HISTORY_OPTION = click.option(
    "--no-history",
    is_flag=True,
    help="Do not record this explanation (also EXPLAINER_NO_HISTORY=1).",
)


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
@click.option(
    "--repro",
    "with_repro",
    is_flag=True,
    help="Also re-run the model in a subprocess (see `explainer repro`) and add its shape table.",
)
@REDACT_OPTION
@NO_HISTORY_OPTION
@DB_OPTION
def explain(
    file: str,
    as_json: bool,
    fmt: str | None,
    color: bool | None,
    no_source: bool,
    db: str | None,
    with_repro: bool = False,
    redact: bool = False,
    no_history: bool = False,
) -> None:
    """Explain the last error in FILE ('-' or nothing: standard input)."""
    from explainer.explain_command import CommandError, ExplainOptions, run_explain

    opts = ExplainOptions(
        file=file,
        fmt="json" if as_json else (fmt or "text"),
        color=color,
        no_source=no_source,
        db=db,
        repro=with_repro,
        redact=redact,
        no_history=no_history,
    )
    try:
        code = run_explain(opts)
    except CommandError as exc:
        _fail(str(exc), exc.code)
    sys.exit(code)


def _silence_stdout() -> None:
    from explainer.explain_command import silence_stdout

    silence_stdout()


@cli.command()
@click.argument("file", default="-", required=False)
@click.option("--model", help="The model to build: file.py:Class or package.module:Class.")
@click.option("--args", "args_json", help="Its constructor arguments as JSON: '{\"n\": 10}'.")
@click.option("--factory", help="A function returning the model (and inputs): file.py:make.")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    help="An input shape, e.g. 32,3,224,224 (:long for token ids); repeat for several inputs.",
)
@click.option(
    "--device",
    type=click.Choice(["meta", "cpu", "cuda", "mps", "auto"]),
    default="meta",
    show_default=True,
    help="meta: shapes only, no memory; auto: cuda, then mps, then cpu.",
)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds allowed.")
@click.option("--memory", help="Memory limit of the run, e.g. 8G (default: 3/4 of this machine's).")
@click.option("--no-fix", is_flag=True, help="Do not verify the fix.")
@click.option("--depth", type=int, default=3, show_default=True, help="Deepest module level shown.")
@click.option("--json", "as_json", is_flag=True, help="The explanation with a `repro` key.")
@click.option("--color/--no-color", default=None, help="Force colour on or off (default: auto).")
@DB_OPTION
def repro(
    file: str,
    model: str | None,
    args_json: str | None,
    factory: str | None,
    inputs: tuple[str, ...],
    device: str,
    timeout: float,
    memory: str | None,
    no_fix: bool,
    depth: int,
    as_json: bool,
    color: bool | None,
    db: str | None,
) -> None:
    """Re-run the failing model in a sandboxed subprocess: every layer's shapes, the fix verified.

    \b
      python train.py 2>&1 | explainer repro
      explainer repro err.txt --model net.py:Net --args '{"n": 10}' --input 32,3,224,224
    """
    from explainer.render.text import want_color
    from explainer.repro.entry import OptionError, build_options, run_command

    try:
        options = build_options(device, timeout, memory, model, args_json, factory, inputs, no_fix)
    except OptionError as exc:
        _fail(str(exc), EXIT_NO_ERROR)
    parsed = exp = None
    if not (file == "-" and sys.stdin.isatty() and (model or factory)):
        from explainer.explain import explain_parsed
        from explainer.inputs import InputError, read_input
        from explainer.parsing import parse

        if file == "-" and sys.stdin.isatty():
            click.echo(
                "Paste the traceback, then press Ctrl-D (Ctrl-Z Enter on Windows):", err=True
            )
        try:
            text = read_input(file).text
        except InputError as exc:
            _fail(str(exc), EXIT_NO_ERROR)
        parsed = parse(text)
        if parsed.error is not None:
            exp = explain_parsed(parsed, open_kb(db))
    code = run_command(parsed, exp, options, as_json, want_color(sys.stdout.isatty(), color), depth)
    sys.exit(code)


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


@cli.command()
@click.argument("file", required=False)
@DB_OPTION
def tui(file: str | None, db: str | None) -> None:
    """Terminal app: browse the knowledge base, or open FILE's (or piped) explanation."""
    from explainer.tui.launch import LaunchError, run_tui

    try:
        code = run_tui(file, db)
    except LaunchError as exc:
        _fail(str(exc), exc.code)
    sys.exit(code)


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default=None,
    help="Output format (default: text).",
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
COLOR_OPTION = click.option("--color/--no-color", default=None, help="Force colour on or off.")
NO_SOURCE_OPTION = click.option(
    "--no-source", is_flag=True, help="Do not read the source files the traceback names."
)


@cli.command("shell-init")
@click.argument("shell", required=False)
@click.option("--alias", default="why", show_default=True, help="Name of the command to define.")
@click.option(
    "--capture",
    is_flag=True,
    help="Also capture the crashes of every Python run from this shell (via PYTHONPATH), "
    "with nothing installed.",
)
def shell_init(shell: str | None, alias: str, capture: bool) -> None:
    """Shell code for `why`: add `eval "$(explainer shell-init bash)"` to ~/.bashrc."""
    from explainer.shell.init import ShellInitError, detect_shell, script

    try:
        click.echo(script(shell or detect_shell(), alias=alias, capture=capture), nl=False)
    except ShellInitError as exc:
        _fail(str(exc), EXIT_NO_ERROR)


@cli.group()
def hook() -> None:
    """Opt-in crash capture in a Python environment: traceback and live tensor shapes."""


PYTHON_OPTION = click.option(
    "--python", "python", help="The environment's interpreter (default: `python` on PATH)."
)
USER_OPTION = click.option("--user", is_flag=True, help="The user site-packages instead.")


def _hook_target(python: str | None, user: bool) -> Any:
    from explainer.shell.hook import HookError, find_target

    try:
        return find_target(python, user)
    except HookError as exc:
        _fail(str(exc), EXIT_NO_ERROR)


@hook.command("install")
@PYTHON_OPTION
@USER_OPTION
def hook_install(python: str | None, user: bool) -> None:
    """Capture every uncaught exception of that Python (costs nothing until one happens)."""
    from explainer.shell.hook import HookError, install

    try:
        click.echo(install(_hook_target(python, user)))
    except HookError as exc:
        _fail(str(exc), EXIT_NO_ERROR)


@hook.command("uninstall")
@PYTHON_OPTION
@USER_OPTION
def hook_uninstall(python: str | None, user: bool) -> None:
    """Remove the capture, leaving the environment exactly as it was."""
    from explainer.shell.hook import HookError, uninstall

    try:
        click.echo(uninstall(_hook_target(python, user)))
    except HookError as exc:
        _fail(str(exc), EXIT_NO_ERROR)


@hook.command("status")
@PYTHON_OPTION
@USER_OPTION
def hook_status(python: str | None, user: bool) -> None:
    """Say whether the capture is installed in that environment."""
    from explainer.shell.hook import is_installed, status

    target = _hook_target(python, user)
    click.echo(status(target))
    sys.exit(0 if is_installed(target) else EXIT_UNMATCHED)


@cli.command()
@JSON_OPTION
@FORMAT_OPTION
@COLOR_OPTION
@NO_SOURCE_OPTION
@REDACT_OPTION
@NO_HISTORY_OPTION
@click.option("--capture-file", help="A capture file to explain instead of this shell's last.")
@DB_OPTION
def last(
    as_json: bool,
    fmt: str | None,
    color: bool | None,
    no_source: bool,
    redact: bool,
    no_history: bool,
    capture_file: str | None,
    db: str | None,
) -> None:
    """Explain the last failed Python run of this shell, with its live shapes (no re-run)."""
    from explainer.shell.commands import last as last_

    fmt = "json" if as_json else (fmt or "text")
    sys.exit(last_(fmt, color, no_source, redact, no_history, open_kb(db), capture_file))


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@JSON_OPTION
@FORMAT_OPTION
@COLOR_OPTION
@NO_SOURCE_OPTION
@NO_HISTORY_OPTION
@DB_OPTION
def run(
    command: tuple[str, ...],
    as_json: bool,
    fmt: str | None,
    color: bool | None,
    no_source: bool,
    no_history: bool,
    db: str | None,
) -> None:
    """Run COMMAND as it is; if it fails, explain its Python error on stderr (exit code kept).

    \b
      explainer run -- python train.py --lr 3e-4
    """
    from explainer.shell.commands import run as run_

    fmt = "json" if as_json else (fmt or "text")
    sys.exit(run_(list(command), fmt, color, no_source, no_history, lambda: open_kb(db)))


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line: errors, summary.")
@click.option(
    "--last", "last_only", is_flag=True, help="Only each file's last error (read from the end)."
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
@COLOR_OPTION
@NO_SOURCE_OPTION
@NO_HISTORY_OPTION
@DB_OPTION
def scan(
    paths: tuple[str, ...],
    as_json: bool,
    last_only: bool,
    progress: bool | None,
    color: bool | None,
    no_source: bool,
    no_history: bool,
    db: str | None,
) -> None:
    """Find every traceback in logs (files, folders, all ranks); explain each distinct error."""
    from explainer.scan import scan_command

    sys.exit(
        scan_command(
            list(paths), as_json, last_only, progress, color, no_source, no_history, open_kb(db)
        )
    )


@cli.command()
@click.argument("entry_id", type=int, required=False)
@click.option("--limit", default=20, show_default=True, help="How many to list.")
@click.option("--clear", is_flag=True, help="Forget every recorded explanation.")
@JSON_OPTION
@FORMAT_OPTION
@COLOR_OPTION
@NO_SOURCE_OPTION
@REDACT_OPTION
@DB_OPTION
def history(
    entry_id: int | None,
    limit: int,
    clear: bool,
    as_json: bool,
    fmt: str | None,
    color: bool | None,
    no_source: bool,
    redact: bool,
    db: str | None,
) -> None:
    """List recent explanations (kept on this machine only); ENTRY_ID shows one again."""
    import sqlite3

    from explainer.shell import commands

    try:
        if clear:
            sys.exit(commands.history_clear())
        if entry_id is None:
            sys.exit(commands.history_list(limit, as_json))
        fmt = "json" if as_json else (fmt or "text")
        sys.exit(commands.history_show(entry_id, fmt, color, redact, no_source, open_kb(db)))
    except (sqlite3.Error, OSError) as exc:
        _fail(f"history unreadable ({exc}); `explainer history --clear` starts it anew", 3)


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
