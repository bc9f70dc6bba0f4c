"""Renderers: each takes the same `Explanation` and returns text (plain, colour, markdown, JSON)."""
