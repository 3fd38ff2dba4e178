"""The orders History lists deliveries in: by one column, either way, for the table and the CLI.

Ties on the column run by (created_at, id) in the same direction, so every order is total and
a page is one seek into an index that leads with the column and ends with (created_at, id):
models.Delivery has one for each filter column, which serve the sort as well, and one each
for attempts and last sent (migration 0019). NULL is the
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
        segments to read one after the other, each one index range: the rest of the key's
        own value of the column, then the values beyond it, and a nullable column's NULLs
        (first going up, last going down) on their own."""
        columns = self.columns()
        if len(columns) == 2:  # by time: one range
            return [[self._beyond(columns, key, inclusive)]]
        column, value = columns[0], key[0]
        same = column.is_(None) if value is None else column == self._bound(0, key)
        segments = [[same, self._beyond(columns[1:], key[1:], inclusive, 1)]]
        if value is not None:
            beyond = self._bound(0, key)
            segments.append([column < beyond if self.descending else column > beyond])
        if self.nullable() and (value is None) != self.descending:
            segments.append([column.is_(None) if self.descending else column.is_not(None)])
        return segments

    def key_values(self, key: tuple) -> dict:
        """The values of `after`'s parameters by name (what a compiled page statement takes)."""
        return {f"key_{n}": value for n, value in enumerate(key) if value is not None}

    def _bound(self, n: int, key: tuple, first: int = 0):
        return bindparam(f"key_{n + first}", key[n], self.columns()[n + first].type)

    def _beyond(self, columns: list, key: tuple, inclusive: bool, first: int = 0):
        """(time, id) past (key): `t <= x AND (t < x OR id <= y)` going down, written so
        the time bounds an index range rather than filtering every row before the key."""
        (time, id_), (at, number) = (
            columns,
            (self._bound(0, key, first), self._bound(1, key, first)),
        )
        if self.descending:
            last = id_ <= number if inclusive else id_ < number
            return and_(time <= at, or_(time < at, last))
        last = id_ >= number if inclusive else id_ > number
        return and_(time >= at, or_(time > at, last))


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
