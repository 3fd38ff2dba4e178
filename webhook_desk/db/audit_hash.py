"""The audit chain's hash: SHA-256 of an entry's content and the previous entry's hash, as
canonical JSON. The format is fixed forever (entries written by every version must verify),
so it lives beside the schema, where the migration that chained the old entries uses it too.
"""

from __future__ import annotations

import hashlib
import json

GENESIS = ""  # the "previous hash" of the first entry


def entry_hash(entry) -> str:
    """The hash of an AuditEntry, or of any row with its fields (a migration's Core row)."""
    content = {
        "prev": entry.prev_hash or GENESIS,
        "at": entry.at.replace(tzinfo=None).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "host": entry.host,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
