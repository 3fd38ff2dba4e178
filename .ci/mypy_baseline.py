"""Run mypy over webhook_desk and hold the line: no error below ui/, and the UI's errors only
those listed in .ci/mypy-ui-baseline.txt, a list that may only shrink.

Errors are compared without their line numbers (they move as code is edited), as a multiset:
a new error, or one more of a kind already listed, fails; so does a listed error that is gone,
so the list shrinks as errors are fixed. `--update` rewrites the list from the current errors
(only ever to remove lines: a grown list is a review finding).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "mypy-ui-baseline.txt"
UI = "webhook_desk/ui/"
# path:line: error: message  [code]
ERROR = re.compile(r"^(?P<path>[^:]+):\d+(?::\d+)?: error: (?P<message>.*)$")


def current_errors() -> list[str]:
    run = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if run.returncode not in (0, 1):  # 2: mypy itself failed (configuration, crash)
        sys.exit(f"mypy did not run: {run.stderr.strip() or run.stdout.strip()}")
    found = []
    for line in run.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            found.append(f"{match['path']}: {match['message']}")
    return found


def main(update: bool) -> int:
    errors = current_errors()
    core = [e for e in errors if not e.startswith(UI)]
    ui = Counter(e for e in errors if e.startswith(UI))
    listed = Counter(BASELINE.read_text(encoding="utf-8").splitlines())
    new, gone = ui - listed, listed - ui
    if update and not new:
        BASELINE.write_text("".join(f"{e}\n" for e in sorted(ui.elements())), encoding="utf-8")
        print(f"mypy baseline: {sum(ui.values())} UI errors listed ({sum(gone.values())} removed).")
        return 0
    for error in core:
        print(f"mypy (below ui/, must be clean): {error}")
    for error in new.elements():
        print(f"mypy (UI error not in {BASELINE.name}; fix it): {error}")
    for error in gone.elements():
        print(f"mypy: fixed, so delete this line from {BASELINE.name}: {error}")
    if core or new or gone:
        return 1
    print(f"mypy: clean below ui/; {sum(ui.values())} listed UI errors remain.")
    return 0


if __name__ == "__main__":
    sys.exit(main(update="--update" in sys.argv[1:]))
