"""The Textual terminal app behind `explainer tui`.

Only `explainer tui` imports this package's app modules, and only they import textual: the
explain fast path stays free of it. `launch` is the entry point and imports textual last, so a
missing install can be reported in one line.
"""
