"""The delivery history as a lazy table over a million rows, for the History tab.

How the tab uses it: `HistoryModel(db)` is the QTableView's model; the filter bar calls
`reload(filters)`, a header click `reload(order=…, keep=…)` (`located` then says where the kept
delivery went); `deliveries_changed` calls `update()`, which inserts new deliveries at
the top (so the view keeps its selection and scroll position), or sorted by another column
re-reads the rows in view in place, and refreshes the live count;
`loaded` / `count_changed` / `failed` drive the count label and status bar; `ID_ROLE` gives
the selected row's delivery id for the detail panel.

How it stays fast: the first page is shown as soon as it arrives; meanwhile one pass over
the filter's index notes the key of every PAGE_SIZE-th row (`queries.page_keys`). The table
then has its full row count, and any page anywhere is one keyset query from its bookmark,
run off the GUI thread when the view first paints a row of it. At most CACHED_PAGES pages
are kept, so scrolling to the last row costs no more memory than the first screen.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush

from webhook_desk.history import queries
from webhook_desk.history.queries import Filters
from webhook_desk.history.sort_order import NEWEST_FIRST, Sort
from webhook_desk.services.identifying import Masking
from webhook_desk.ui.colours import qcolour
from webhook_desk.ui.formatting import local_time
from webhook_desk.ui.jobs import run_query
from webhook_desk.vocabulary import DeliveryStatus

PAGE_SIZE = 200
CACHED_PAGES = 40
RECENT_PAGES = 4  # pages re-read at once when new deliveries arrive (about a screenful)
NO_PARENT = QModelIndex()
PENDING = DeliveryStatus.PENDING
STATUS_COLOURS = {  # names in ui.colours: light or dark as the palette is
    DeliveryStatus.SUCCEEDED: "ok",
    DeliveryStatus.FAILED: "error",
    DeliveryStatus.PENDING: "warning",
}
ID_ROLE = Qt.ItemDataRole.UserRole + 1
LOADING_TEXT = "…"

# The columns a user scans first come first, so they fit a 1024 px window beside the panel.
COLUMNS = [
    ("Created", lambda r: local_time(r["created_at"])),
    ("Event", lambda r: r["event"] + (" (handshake)" if r["is_validation"] else "")),
    ("Status", lambda r: r["status"]),
    ("Code", lambda r: "" if r["response_code"] is None else str(r["response_code"])),
    ("Subject", lambda r: r["subject_id"] or ""),
    ("Attempts", lambda r: str(r["attempts"])),
    ("Last sent", lambda r: local_time(r["last_sent_at"]) if r["last_sent_at"] else ""),
    ("Next try", lambda r: local_time(r["next_attempt_at"]) if r["status"] == PENDING else ""),
    ("Study", lambda r: r["study_id"] or ""),
    ("Registration", lambda r: "" if r["registration_id"] is None else str(r["registration_id"])),
    ("Target", lambda r: r["target_url"]),
    ("Delivery id", lambda r: r["delivery_id"]),
    ("Error", lambda r: r["error"] or ""),
]
TITLES = [title for title, _ in COLUMNS]
SUBJECT_COLUMN = TITLES.index("Subject")  # shown by the masking rule
STATUS_COLUMNS = (TITLES.index("Status"), TITLES.index("Code"))  # coloured by the outcome
ERROR_COLUMN = TITLES.index("Error")
SORTS = {  # the columns a header click sorts by, as sort_order names them
    TITLES.index(title): name
    for title, name in (
        ("Created", "created"),
        ("Event", "event"),
        ("Status", "status"),
        ("Code", "code"),
        ("Subject", "subject"),
        ("Attempts", "attempts"),
        ("Last sent", "last-sent"),
        ("Study", "study"),
        ("Registration", "registration"),
    )
}


def as_row(row) -> dict:
    """A page row as the table shows it, with its key for finding newer ones."""
    found = queries.row_as_dict(row)
    found["_key"] = (found["created_at"], found["id"])
    return found


def first_page(session, filters: Filters, sort: Sort = NEWEST_FIRST) -> list[dict]:
    return [as_row(r) for r in queries.page_rows(session, filters, PAGE_SIZE, sort=sort).rows]


def page_at(session, filters: Filters, key, sort: Sort = NEWEST_FIRST) -> list[dict]:
    page = queries.page_rows(session, filters, PAGE_SIZE, first_key=key, sort=sort)
    return [as_row(r) for r in page.rows]


def news(session, filters: Filters, top_key, recent: list[int], sort: Sort = NEWEST_FIRST) -> tuple:
    """(rows newer than the old top row, fresh bookmarks, fresh count, fresh pages).

    The pages are those that now hold the rows of the `recent` pages (the ones on screen),
    so the view swaps to them in one step and shows no placeholders on its way. Sorted
    otherwise than newest first (no `top_key`), new rows may be anywhere: the same pages.
    """
    newer = queries.newer_than(session, filters, top_key) if top_key else 0
    keys, total = queries.page_keys(session, filters, PAGE_SIZE, sort)
    wanted = set()
    for page in recent:
        first = page * PAGE_SIZE + newer
        wanted.update({first // PAGE_SIZE, (first + PAGE_SIZE - 1) // PAGE_SIZE})
    pages = {
        page: page_at(session, filters, keys[page], sort)
        for page in sorted(wanted)
        if page < len(keys)
    }
    return newer, keys, total, pages


class HistoryModel(QAbstractTableModel):
    loaded = Signal()  # the first page, or another page, arrived
    refreshed = Signal()  # the rows were read again: a new filter, F5, or new deliveries
    count_changed = Signal(int)  # how many deliveries match the filter
    located = Signal(int)  # the row of the delivery a reload keeps (-1: no longer listed)
    failed = Signal(str)

    def __init__(self, db, parent=None):
        super().__init__(parent)
        self.db = db
        self.filters = Filters()
        self.order = NEWEST_FIRST  # not `sort`: that is QAbstractItemModel's method
        self.total: int | None = None  # None until counted
        self.loading = False
        self._rows = 0
        self._keys: list = []
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()
        self._asked: set[int] = set()
        self._pending_bookmarks = None  # (keys, total) that came before the first page
        self._first_ready = False
        self._generation = 0  # answers for an older filter that arrive late are dropped
        self._keep: int | None = None  # the delivery a reload brings back into view
        self._keep_row: int | None = None
        self._keep_known = False
        self.masking = Masking()

    def set_masking(self, masking: Masking) -> None:
        """Show subject ids by `masking` (Settings changed): the column repaints."""
        self.masking = masking
        if self._rows:
            last = self.index(self._rows - 1, SUBJECT_COLUMN)
            self.dataChanged.emit(self.index(0, SUBJECT_COLUMN), last)

    # --- loading ----------------------------------------------------------------------

    def reload(
        self, filters: Filters | None = None, order: Sort | None = None, keep: int | None = None
    ) -> None:
        """Show `filters` (or the current ones again) from the top, in `order` (or the
        current one). `keep`: a delivery to find again in the new rows (see `located`)."""
        if filters is not None:
            self.filters = filters
        if order is not None:
            self.order = order
        self._generation += 1
        self.loading, self.total, self._pending_bookmarks = True, None, None
        self._first_ready, self._keys = False, []
        self._keep, self._keep_row, self._keep_known = keep, None, False
        generation, filters, sort = self._generation, self.filters, self.order
        run_query(
            self.db,
            lambda session: first_page(session, filters, sort),
            lambda result: self._first_page(generation, result),
            self._failed,
        )
        run_query(
            self.db,
            lambda session: queries.page_keys(session, filters, PAGE_SIZE, sort),
            lambda result: self._bookmarks(generation, result),
            self._failed,
        )
        if keep is not None:
            run_query(
                self.db,
                lambda session: queries.position(session, filters, sort, keep),
                lambda row: self._located(generation, row),
                self._failed,
            )

    @property
    def locating(self) -> bool:
        """A reload is still finding the delivery it keeps."""
        return self._keep is not None

    def _located(self, generation: int, row: int | None) -> None:
        if generation == self._generation:
            self._keep_row, self._keep_known = row, True
            self._bring_back()

    def _bring_back(self) -> None:
        """Once the kept delivery's row is known and its page is in, say where it is."""
        if self._keep is None or not self._keep_known:
            return
        row = self._keep_row
        if row is not None and row < self._rows and self._row_dict(row) is None:
            return  # its page was asked for
        if row is not None and row >= self._rows and self.total is None:
            return  # its row comes with the bookmarks
        found = self.row_of(self._keep)  # where it is now, had rows moved since
        self._keep = None
        self.located.emit(-1 if found is None else found)

    def _first_page(self, generation: int, rows: list[dict]) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._pages, self._asked = OrderedDict({0: rows}), set()
        self._rows, self._first_ready = len(rows), True
        self.endResetModel()
        self.loaded.emit()
        self.refreshed.emit()
        self._settle()
        self._bring_back()

    def _bookmarks(self, generation: int, result) -> None:
        if generation != self._generation:
            return
        keys, total = result
        self._pending_bookmarks = (keys, total)
        self._settle()

    def _settle(self) -> None:
        """Once both the first page and the bookmarks are in, show the full length."""
        pending = self._pending_bookmarks
        if pending is None or not self._first_ready:
            return
        self._pending_bookmarks = None
        self._keys, self.total = pending
        self._set_length(self.total)
        self.loading = False
        self.count_changed.emit(self.total)
        self.loaded.emit()
        self._bring_back()

    def _set_length(self, total: int) -> None:
        """Rows added or taken away at the end, so the view keeps its place."""
        if total > self._rows:
            self.beginInsertRows(NO_PARENT, self._rows, total - 1)
            self._rows = total
            self.endInsertRows()
        elif total < self._rows:
            self.beginRemoveRows(NO_PARENT, total, self._rows - 1)
            self._rows = total
            self.endRemoveRows()

    def update(self) -> None:
        """New or changed deliveries: newest first, insert the new ones at the top and keep
        the rest; in another order they may go anywhere, so the rows in view are read again
        in place (the tab then finds its selected delivery again: `refreshed`)."""
        if self.loading or self.total is None:
            return
        generation, filters, sort = self._generation, self.filters, self.order
        top = self._row_dict(0) if sort == NEWEST_FIRST else None
        top_key = top["_key"] if top else None
        recent = list(self._pages)[-RECENT_PAGES:]
        run_query(
            self.db,
            lambda session: news(session, filters, top_key, recent, sort),
            lambda result: self._news(generation, result),
            self._failed,
        )

    def _news(self, generation: int, result) -> None:
        if generation != self._generation:
            return
        newer, keys, total, pages = result
        sorted_otherwise = self.order != NEWEST_FIRST
        if total != self.total + newer and not sorted_otherwise:  # rows also left: again
            self.reload()
            return
        self._keys, self._pages, self._asked = keys, OrderedDict(pages), set()
        if newer:
            self.beginInsertRows(NO_PARENT, 0, newer - 1)
            self._rows, self.total = self._rows + newer, total
            self.endInsertRows()
        elif sorted_otherwise:
            self._set_length(total)
            self.total = total
        last = self.index(max(self._rows - 1, 0), len(COLUMNS) - 1)
        self.dataChanged.emit(self.index(0, 0), last)
        self.count_changed.emit(self.total)
        self.loaded.emit()
        self.refreshed.emit()

    def _request(self, page: int) -> None:
        if page in self._asked or page >= len(self._keys):
            return
        self._asked.add(page)
        generation, filters, key = self._generation, self.filters, self._keys[page]
        sort = self.order
        run_query(
            self.db,
            lambda session: page_at(session, filters, key, sort),
            lambda rows: self._page_arrived(generation, page, rows),
            self._failed,
        )

    def _page_arrived(self, generation: int, page: int, rows: list[dict]) -> None:
        if generation != self._generation:
            return
        self._asked.discard(page)
        self._pages[page] = rows
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        first = page * PAGE_SIZE
        last = min(first + len(rows), self._rows) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.loaded.emit()
        self._bring_back()

    def _failed(self, sentence: str) -> None:
        self.loading, self._keep = False, None
        self.failed.emit(sentence)

    # --- reading ----------------------------------------------------------------------

    def _row_dict(self, row: int) -> dict | None:
        page = self._pages.get(row // PAGE_SIZE)
        if page is None:
            self._request(row // PAGE_SIZE)
            return None
        self._pages.move_to_end(row // PAGE_SIZE)
        offset = row % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    @property
    def rows(self) -> list[dict]:
        """The rows loaded from the top without a gap (what a test or a copy can read)."""
        found, page = [], 0
        while page in self._pages:
            found.extend(self._pages[page])
            page += 1
        return found[: self._rows]

    @property
    def has_more(self) -> bool:
        return self.total is None

    def row_of(self, delivery_id: int) -> int | None:
        for page, rows in self._pages.items():
            for offset, row in enumerate(rows):
                if row["id"] == delivery_id:
                    return page * PAGE_SIZE + offset
        return None

    def loaded_row(self, delivery_id: int) -> dict | None:
        """The row of `delivery_id` if its page is loaded."""
        row = self.row_of(delivery_id)
        return None if row is None else self._row_dict(row)

    def rowCount(self, parent=NO_PARENT) -> int:
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent=NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._row_dict(index.row())
        if row is None:
            return LOADING_TEXT if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole and index.column() == SUBJECT_COLUMN:
            return self.masking.value(row["subject_id"])
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[index.column()][1](row)
        if role == ID_ROLE:
            return row["id"]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in STATUS_COLUMNS:
            name = STATUS_COLOURS.get(row["status"])
            return QBrush(qcolour(name)) if name else None
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == ERROR_COLUMN:
            return row["error"]
        return None
