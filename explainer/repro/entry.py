"""The command-line glue of `explainer repro` and `explainer explain --repro` (no torch)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from explainer.model import Explanation, ParsedText
from explainer.repro.command import EXIT_USAGE, Outcome, run_repro
from explainer.repro.options import (
    OptionError,
    ReproOptions,
    parse_args_json,
    parse_inputs,
    parse_size,
    parse_spec,
)


def build_options(
    device: str,
    timeout: float,
    memory: str | None,
    model: str | None,
    args_json: str | None,
    factory: str | None,
    inputs: tuple[str, ...],
    no_fix: bool,
) -> ReproOptions:
    if model and factory:
        raise OptionError("--model and --factory name the model twice: give one of them")
    if timeout <= 0:
        raise OptionError("--timeout must be a positive number of seconds")
    return ReproOptions(
        device=device,
        timeout=timeout,
        memory=parse_size(memory),
        model=parse_spec(model, "--model"),
        args=parse_args_json(args_json),
        factory=parse_spec(factory, "--factory"),
        inputs=parse_inputs(inputs),
        verify_fix=not no_fix,
    )


def repro_dict(outcome: Outcome) -> dict[str, Any]:
    report = dict(outcome.report)
    if outcome.message and "message" not in report:
        report["message"] = outcome.message
    return report


def run_command(
    parsed: ParsedText | None,
    exp: Explanation | None,
    options: ReproOptions,
    as_json: bool,
    color: bool,
    depth: int,
) -> int:
    """`explainer repro`: the report on stdout; the line saying what runs comes first."""
    from explainer.repro.render import render_report

    def announce(line: str) -> None:
        click.echo(line, err=as_json)
        sys.stdout.flush()

    outcome = run_repro(parsed, exp, options, announce)
    if as_json:
        base = _explanation_dict(exp)
        base["repro"] = repro_dict(outcome)
        click.echo(json.dumps(base, indent=2, ensure_ascii=False, default=str))
    elif "announce" not in outcome.report:
        click.echo(f"explainer: {outcome.message}", err=True)
    else:
        click.echo(render_report(outcome.report, color=color, depth=depth), nl=False, color=True)
    return outcome.code


def _explanation_dict(exp: Explanation | None) -> dict[str, Any]:
    if exp is None:
        return {"schema_version": 1, "status": "no_error_found", "error": None}
    from explainer.render.json_ import to_dict

    return to_dict(exp)


def append_to_explanation(
    exp: Explanation, fmt: str, rendered: str, options: ReproOptions, color: bool
) -> str:
    """`explain --repro`: the explanation, then the reproduction (text, markdown or JSON)."""
    from explainer.repro.render import render_report

    lines: list[str] = []
    outcome = run_repro(exp.parsed, exp, options, lines.append)
    if fmt == "json":
        data = json.loads(rendered)
        data["repro"] = repro_dict(outcome)
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    if "announce" not in outcome.report:
        section = f"Reproduction: {outcome.message}\n"
    else:
        section = (
            "\n".join(lines) + "\n" + render_report(outcome.report, color=color and fmt == "text")
        )
    if fmt == "markdown":
        return rendered + "\n## Reproduction\n\n```text\n" + section + "```\n"
    return rendered + "\n" + section


__all__ = ["EXIT_USAGE", "OptionError", "append_to_explanation", "build_options", "run_command"]
