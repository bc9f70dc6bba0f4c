"""The `explain` command's work, shared by the click command and the click-free fast path.

`python train.py 2>&1 | explainer` is the command users run most, and it should answer in well
under the time it takes to notice: importing click alone costs a fifth of that budget. So the
entry point recognises the common `explain` invocations itself (`parse_fast`) and runs them
here; anything else (help, other commands, an option it does not know) goes to click.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

EXIT_EXPLAINED = 0
EXIT_UNMATCHED = 1
EXIT_NO_ERROR = 2
EXIT_INTERNAL = 3

STATUS_EXIT = {
    "explained": EXIT_EXPLAINED,
    "unmatched": EXIT_UNMATCHED,
    "no_error_found": EXIT_NO_ERROR,
}
FORMATS = ("text", "markdown", "json")


class CommandError(Exception):
    """A failure to report as one line on stderr, with this exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ExplainOptions:
    file: str = "-"
    fmt: str = "text"
    color: bool | None = None
    no_source: bool = False
    db: str | None = None
    repro: bool = False
    redact: bool = False
    no_history: bool = False


FLAGS = {
    "--json": ("fmt", "json"),
    "--color": ("color", True),
    "--no-color": ("color", False),
    "--no-source": ("no_source", True),
    "--redact": ("redact", True),
    "--no-history": ("no_history", True),
}
VALUED = {"--format": "fmt", "--db": "db"}


def parse_fast(argv: list[str]) -> ExplainOptions | None:
    """Options for a plain `explain` invocation, or None to let click handle `argv`."""
    import os

    args = list(argv)
    if args and args[0] == "explain":
        args = args[1:]
    elif args and not args[0].startswith("-") and args[0] != "-" and _is_command(args[0]):
        return None
    opts = ExplainOptions(db=os.environ.get("EXPLAINER_DB") or None)
    files: list[str] = []
    json_flag = False
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if arg in FLAGS:
            field, flag_value = FLAGS[arg]
            json_flag = json_flag or arg == "--json"
            setattr(opts, field, flag_value)
        elif name in VALUED:
            if not eq:
                if i + 1 >= len(args):
                    return None
                i += 1
                value = args[i]
            if name == "--format" and value not in FORMATS:
                return None
            setattr(opts, VALUED[name], value)
        elif arg == "-" or not arg.startswith("-"):
            files.append(arg)
        else:
            return None  # --help, --repro, a typo: click knows what to say
        i += 1
    if len(files) > 1:
        return None
    if json_flag:
        opts.fmt = "json"
    opts.file = files[0] if files else "-"
    return opts


def _is_command(word: str) -> bool:
    """Whether `word` names a subcommand rather than a file to explain."""
    from explainer.commands import COMMANDS

    return word in COMMANDS


def run_explain(opts: ExplainOptions) -> int:
    """Read, explain, print, record; the exit code for the status found."""
    from explainer.explain import explain_text
    from explainer.inputs import InputError, read_input

    if opts.file == "-" and sys.stdin.isatty():
        sys.stderr.write("Paste the traceback, then press Ctrl-D (Ctrl-Z Enter on Windows):\n")
        sys.stderr.flush()
    try:
        source = read_input(opts.file)
    except InputError as exc:
        raise CommandError(str(exc), EXIT_NO_ERROR) from None
    if not source.text.strip():
        if opts.fmt == "json":
            write('{"schema_version": 1, "status": "no_error_found", "error": null}\n')
        raise CommandError("the input is empty: pipe a traceback in, or give a file", EXIT_NO_ERROR)
    kb = open_kb(opts.db)
    exp = explain_text(source.text, kb, read_source=not opts.no_source)
    if source.truncated:
        exp.notes.append(
            f"read the last {len(source.text.encode()) // (1024 * 1024)} MiB of "
            f"{source.total_bytes / (1024 * 1024):,.0f} MiB: the last traceback is in the tail"
        )
    rendered = render(exp, opts.fmt, opts.color)
    if opts.repro:
        from explainer.render.text import want_color
        from explainer.repro.entry import append_to_explanation
        from explainer.repro.options import ReproOptions

        rendered = append_to_explanation(
            exp, opts.fmt, rendered, ReproOptions(), want_color(sys.stdout.isatty(), opts.color)
        )
    if opts.redact:
        from explainer.redact import redact_output

        rendered = redact_output(rendered, opts.fmt)
    write(rendered)
    if exp.status != "no_error_found" and not opts.no_history:
        from explainer.history import record_quietly

        record_quietly(exp, source="explain", text=source.text)
    return STATUS_EXIT[exp.status]


def open_kb(db: str | None) -> Any:
    from pathlib import Path

    from explainer.kb.store import DatabaseError, KnowledgeBase

    try:
        return KnowledgeBase(Path(db) if db else None)
    except DatabaseError as exc:
        raise CommandError(str(exc), EXIT_INTERNAL) from None


def render(exp: Any, fmt: str, color: bool | None) -> str:
    if fmt == "json":
        from explainer.render.json_ import render_json

        return render_json(exp) + "\n"
    if fmt == "markdown":
        from explainer.render.markdown import render_markdown

        return render_markdown(exp)
    from explainer.render.text import render_text, want_color

    return render_text(exp, color=want_color(sys.stdout.isatty(), color))


def write(text: str) -> None:
    """Print to stdout; a reader that went away (`| head`) is not an error, and a terminal
    that cannot show `×` or `→` gets a replacement character rather than a crash."""
    try:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:
            encoding = sys.stdout.encoding or "utf-8"
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode(encoding, errors="replace"))
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
