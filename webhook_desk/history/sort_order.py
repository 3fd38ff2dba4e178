"""The orders History lists deliveries in: by one column, either way, for the table and the CLI.

Ties on the column run by (created_at, id) in the same direction, so every order is total and
a page is one seek into an index that leads with the column and ends with (created_at, id):
models.Delivery has one for each filter column, and they serve the sort as well. NULL is the
smallest value (SQLite's own order, and said in the SQL so PostgreSQL agrees).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, or_

from webhook_desk.db.models import Delivery
from webhook_desk.errors import InvalidInput

SORT_COLUMNS = {
    "created": Delivery.created_at,
    "event": Delivery.event_code,
    "status": Delivery.status,
    "code": Delivery.response_code,
    "attempts": Delivery.attempt_count,
    "last-sent": Delivery.last_sent_at,
    "study": Delivery.study_id,
    "subject": Delivery.subject_id,
    "registration": Delivery.registration_id,
}
_TIE = (Delivery.created_at, Delivery.id)


@dataclass(frozen=True)
class Sort:
    column: str = "created"  # a name in SORT_COLUMNS
    descending: bool = True

    def text(self) -> str:
        """As `parse_sort` reads it back: 'status:desc'."""
        return f"{self.column}:{'desc' if self.descending else 'asc'}"

    def columns(self) -> list:
        """The columns of a row's key in this order: the sorted one, then the tie-breakers."""
        first = SORT_COLUMNS[self.column]
        return list(_TIE) if first is Delivery.created_at else [first, *_TIE]

    def nullable(self) -> bool:
        return bool(self.columns()[0].nullable)

    def order_by(self) -> list:
        first, *rest = (c.desc() if self.descending else c.asc() for c in self.columns())
        if self.nullable():
            first = first.nulls_last() if self.descending else first.nulls_first()
        return [first, *rest]

    def after(self, key: tuple, inclusive: bool = False) -> list[list]:
        """Conditions for the rows listed after `key` (from it on, if `inclusive`), as
        segments to read one after the other: each is one index range, so a nullable
        column's NULLs, listed first or last, are a segment of their own."""
        columns = self.columns()
        if key[0] is not None:
            segments = [[self._beyond(columns, key, inclusive)]]
            if self.nullable() and self.descending:
                segments.append([columns[0].is_(None)])
            return segments
        ties = [columns[0].is_(None), self._beyond(columns[1:], key[1:], inclusive, 1)]
        return [ties, [columns[0].is_not(None)]] if not self.descending else [ties]

    def key_values(self, key: tuple) -> dict:
        """The values of `after`'s parameters by name (what a compiled page statement takes)."""
        return {f"key_{n}": value for n, value in enumerate(key) if value is not None}

    def _beyond(self, columns: list, key: tuple, inclusive: bool, first: int = 0):
        """(columns) past (key), written so the leading column bounds an index range:
        `a <= x AND (a < x OR (b <= y AND (b < y OR c <= z)))` (newest first)."""
        column, value = columns[0], bindparam(f"key_{first}", key[0], columns[0].type)
        strict = column < value if self.descending else column > value
        if len(columns) == 1:
            return (
                (column <= value if self.descending else column >= value) if inclusive else strict
            )
        bound = column <= value if self.descending else column >= value
        rest = self._beyond(columns[1:], key[1:], inclusive, first + 1)
        return and_(bound, or_(strict, rest))


NEWEST_FIRST = Sort()


def parse_sort(text: str) -> Sort:
    """'status', 'status:desc', 'last-sent:asc': a column and a direction (ascending if none)."""
    name, _, direction = text.strip().lower().replace("_", "-").replace(" ", "-").partition(":")
    if name not in SORT_COLUMNS:
        raise InvalidInput(
            f"'{name}' is not a column History sorts by; use one of {', '.join(SORT_COLUMNS)}."
        )
    if direction not in ("", "asc", "desc"):
        raise InvalidInput(f"'{direction}' is not a sort direction; add :asc or :desc.")
    return Sort(name, direction == "desc")
