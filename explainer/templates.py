"""Fill an entry's `why`, `summary` and `fix` templates with this error's values.

Templates use `str.format` fields: `{in_features}`, `{rows:,}` for thousands separators,
`{shape}` for `[32, 256, 28, 28]` and `{shape:x}` for `32 × 256 × 28 × 28`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any


class TemplateError(KeyError):
    """A template names a value that neither the message nor the arithmetic provided."""


class _Formatter(string.Formatter):
    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, int):
            raise TemplateError(f"positional field {{{key}}} in a template")
        if key not in kwargs or kwargs[key] is None:
            raise TemplateError(key)
        return kwargs[key]

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "," and not isinstance(value, int | float):
            return str(value)
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def fill(template: str, values: Mapping[str, Any]) -> str:
    """The template with its fields replaced; raises TemplateError for a missing value."""
    if "{" not in template:
        return template
    try:
        return _FORMATTER.vformat(template, (), values)
    except (ValueError, IndexError, AttributeError) as exc:
        raise TemplateError(str(exc)) from exc


def fields(template: str) -> list[str]:
    """Names of the fields a template uses."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]
