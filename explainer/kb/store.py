"""Read the built knowledge base: locate it, open it read-only, load entries, search it.

Uses the standard library's sqlite3 rather than sqlite-utils: reading needs no more, and the
fast path should not pay sqlite-utils' import time.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

from explainer.kb.entry import Entry, Pattern

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOT = PACKAGE_DIR.parent


class DatabaseError(RuntimeError):
    """The knowledge-base file is missing, unreadable or not a knowledge base."""


def default_db_path() -> Path:
    """`EXPLAINER_DB`, else the copy shipped in the package, else the source tree's `data/`."""
    env = os.environ.get("EXPLAINER_DB")
    if env:
        return Path(env)
    shipped = PACKAGE_DIR / "_data" / "kb.sqlite"
    if shipped.exists():
        return shipped
    return SOURCE_ROOT / "data" / "kb.sqlite"


class KnowledgeBase:
    """The entries and their patterns, loaded once from the read-only database."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_db_path()
        if not self.path.is_file():
            raise DatabaseError(
                f"knowledge base not found at {self.path}; build it with `explainer kb build`"
            )
        try:
            uri = f"file:{self.path.as_posix()}?mode=ro&immutable=1"
            self.conn = sqlite3.connect(uri, uri=True)
            self.meta = dict(self.conn.execute("select key, value from meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(
                f"knowledge base at {self.path} is unreadable ({exc}); rebuild it with "
                "`explainer kb build`"
            ) from exc
        self._entries: list[Entry] | None = None

    def entries(self) -> list[Entry]:
        """All entries, highest priority first (ties by id), with their patterns."""
        if self._entries is None:
            try:
                self._entries = self._load()
            except sqlite3.DatabaseError as exc:
                raise DatabaseError(f"knowledge base at {self.path} is corrupt: {exc}") from exc
        return self._entries

    def _load(self) -> list[Entry]:
        patterns: dict[str, list[Pattern]] = {}
        for entry_id, regex_, versions, scope, anchor in self.conn.execute(
            "select entry_id, regex, versions, scope, anchor from patterns order by entry_id, idx"
        ):
            patterns.setdefault(entry_id, []).append(Pattern(regex_, versions, scope, anchor))
        rows = self.conn.execute(
            "select id, title, family, exceptions, priority, arithmetic, summary, what, why, "
            "fix_summary, fix_code, refs, out_of_scope from entries order by priority desc, id"
        )
        return [
            Entry(
                id=r[0],
                title=r[1],
                family=r[2],
                exceptions=json.loads(r[3]),
                priority=r[4],
                arithmetic=r[5],
                summary=r[6],
                what=r[7],
                why=r[8],
                fix_summary=r[9],
                fix_code=r[10],
                references=json.loads(r[11]),
                out_of_scope=r[12],
                patterns=patterns.get(r[0], []),
            )
            for r in rows
        ]

    def get(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries() if e.id == entry_id), None)

    def examples(self, entry_id: str) -> list[dict[str, str]]:
        rows = self.conn.execute(
            "select kind, text, snippet, source, note from examples "
            "where entry_id = ? order by idx",
            (entry_id,),
        )
        keys = ("kind", "text", "snippet", "source", "note")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def versions(self, entry_id: str) -> str:
        row = self.conn.execute("select versions from entries where id = ?", (entry_id,)).fetchone()
        return row[0] if row else ""

    def search(
        self,
        query: str,
        limit: int = 10,
        skip_common: bool = False,
        prefix: bool = False,
        fallback_any: bool = True,
    ) -> list[dict[str, str]]:
        """Full-text search over the prose, ranked by bm25.

        A query's words must all occur (`prefix`: the last one may be the start of a word, for
        a box that filters as you type); when none has them all, entries with any word are
        returned, unless `fallback_any` is off (a filter narrows). `skip_common` searches with a
        whole error message: the words every shape error shares are dropped, and any remaining
        word may match. Matches in the id, title and family weigh more than in the prose.
        """
        words = list(dict.fromkeys(re.findall(r"[A-Za-z0-9_]+", query)))
        if skip_common:
            words = [w for w in words if w.lower() not in STOP and len(w) > 2 and w[0].isalpha()]
            return self._fts(" OR ".join(f'"{w}"' for w in words), limit) if words else []
        if not words:
            return []
        terms = [f'"{w}"' for w in words]
        if prefix:
            terms[-1] += "*"
        found = self._fts(" AND ".join(terms), limit)
        if found or not fallback_any or len(terms) == 1:
            return found
        return self._fts(" OR ".join(terms), limit)

    def _fts(self, fts_query: str, limit: int) -> list[dict[str, str]]:
        try:
            rows = self.conn.execute(
                "select entries.id, entries.family, entries.title from entries_fts "
                "join entries on entries.rowid = entries_fts.rowid "
                f"where entries_fts match ? order by bm25(entries_fts, {COLUMN_WEIGHTS}) limit ?",
                (fts_query, limit),
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"search failed on {self.path}: {exc}") from exc
        return [{"id": r[0], "family": r[1], "title": r[2]} for r in rows]


# bm25 weights of the indexed columns: id, title, family, summary, what, why, fix_summary.
COLUMN_WEIGHTS = "6.0, 4.0, 4.0, 2.0, 1.0, 1.0, 1.0"

STOP = frozenset(
    "the and but for with was were that this not got expected error runtimeerror valueerror "
    "indexerror size tensor tensors input instead".split()
)
