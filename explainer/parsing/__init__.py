"""Text in, `ParsedText` out: cleaning first, then the traceback parser."""

from __future__ import annotations

from explainer.model import ParsedText
from explainer.parsing.clean import clean
from explainer.parsing.traceback import parse_lines


def parse(text: str) -> ParsedText:
    """Parse whatever the user pasted: a traceback, a log tail, or a lone error line."""
    return parse_lines(clean(text))


__all__ = ["parse"]
