"""Memory of `webhook-desk import` for a v3 page whose one payload holds a 50 MB string (the
hostile file of issue 13: it once took 6.2 GB), beside the plainest reading of the same file
(read it and json.loads it, nothing stored), each in a fresh interpreter.

Run: .venv/bin/python benchmarks/import_memory.py [MB]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "fixtures" / "centrepoint_v3_history_seed001.json"

# Peak memory of the measured step alone: Linux resets the peak (VmHWM) when 5 is written
# to clear_refs, so what came before (imports, migrations) does not hide it.
MEASURE = """
from pathlib import Path

def kb(field):
    status = Path("/proc/self/status").read_text()
    return int(next(l for l in status.splitlines() if l.startswith(field)).split()[1])

def start():
    Path("/proc/self/clear_refs").write_text("5")
    return kb("VmRSS:")

def grown(before):
    print((kb("VmHWM:") - before) * 1024)
"""
IMPORT = (
    MEASURE
    + """
import sys
from webhook_desk.history.importer import import_file
from webhook_desk.services.startup import open_database
db = open_database(sys.argv[2])
before = start()
import_file(db, sys.argv[1])
grown(before)
"""
)
PLAIN = (
    MEASURE
    + """
import json, sys
before = start()
json.loads(Path(sys.argv[1]).read_text().replace(",\\n  ],", "\\n  ],"))
grown(before)
"""
)


def hostile_file(folder: Path, megabytes: int) -> Path:
    from webhook_desk.history.centrepoint_format import loads_lenient

    page = loads_lenient(SEED.read_text())
    body = json.loads(page["items"][0]["request"]["body"])
    body["note"] = "x" * (megabytes * 1_000_000)
    page["items"][0]["request"]["body"] = json.dumps(body)
    path = folder / "hostile.json"
    path.write_text(json.dumps(page, indent=2).replace("}\n  ],", "},\n  ],", 1))
    return path


def grown(script: str, *args: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return int(done.stdout)


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as folder:
        path = hostile_file(Path(folder), megabytes)
        size = path.stat().st_size
        imported = grown(IMPORT, str(path), f"sqlite:///{folder}/db.sqlite3")
        plain = grown(PLAIN, str(path))
    print(f"file: {size / 1e6:.1f} MB with one {megabytes} MB string and a trailing comma")
    print(f"import: +{imported / 1e6:.0f} MB ({imported / size:.1f}x the file)")
    plainly = "read, comma dropped by str.replace, json.loads, nothing stored"
    print(f"{plainly}: +{plain / 1e6:.0f} MB ({plain / size:.1f}x the file)")
    print(f"ratio: {imported / plain:.2f}x the plain reading")


if __name__ == "__main__":
    main()
