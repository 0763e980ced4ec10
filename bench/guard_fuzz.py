"""The long guard-language fuzz run: 100,000 generated expressions (or more).

The generator and the checks are tests/guard_fuzz.py (./test runs 3,000 of them in
tests/unit/definitions/test_guard_fuzz.py). Needs no database: the guard language is
pure Python. Prints one JSON report (count, the longest check in CPU and wall time,
outcomes and errors by kind, any crash, slow check or escape) and exits 1 if there was
a crash, a check over 100 ms of CPU time or an escape.

    .venv/bin/python -m bench.guard_fuzz --count 100000 --seed 19
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
django.setup()

from tests.guard_fuzz import SLOW_SECONDS, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=19)
    options = parser.parse_args()
    warnings.simplefilter("ignore", SyntaxWarning)
    started = time.monotonic()
    report = run(options.count, seed=options.seed)
    figures = {
        "command": f"python -m bench.guard_fuzz --count {options.count} --seed {options.seed}",
        "seconds": round(time.monotonic() - started, 1),
        **report.as_dict(),
    }
    print(json.dumps(figures, indent=1, ensure_ascii=True))
    failed = report.crashes or report.escapes or report.max_seconds >= SLOW_SECONDS
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
