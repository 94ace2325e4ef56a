# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Run every example at small size, one subprocess each; stop at the first failure.

Usage::

    python examples/run_all.py              # all examples (what `make examples` runs)
    python examples/run_all.py quickstart   # only those whose file name contains a word

Each example runs as ``python examples/<name>.py`` with ``SKLEARN_SEQ_SMALL=1``
and ``MPLBACKEND=Agg`` (and ``OMP_NUM_THREADS=1`` unless set), from the
repository root. The script prints one line per example with its duration and
exits non-zero, showing the failing example's output, on the first failure.

Scripts that cannot run here (several GPUs, a launcher) are skipped when they
are listed in ``NOT_FOR_CI`` or carry a line ``# not-for-ci: <reason>``; the
documentation gallery renders them without running them.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
ROOT = EXAMPLES.parent

#: Examples that are not run in CI, with the reason (also readable from a
#: ``# not-for-ci: <reason>`` line in the script itself).
NOT_FOR_CI = {}  # none at present: the multi-process example runs on CPU too

_MARKER = re.compile(r"^#\s*not-for-ci:\s*(.+?)\s*$", re.MULTILINE)


def skip_reason(path):
    """Return why ``path`` is not run in CI, or None when it is."""
    path = Path(path)
    if path.name in NOT_FOR_CI:
        return NOT_FOR_CI[path.name]
    match = _MARKER.search(path.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def example_paths(*, include_skipped=False):
    """Example scripts in file-name order (not this script, not private files)."""
    paths = sorted(
        p
        for p in EXAMPLES.glob("*.py")
        if p.name != Path(__file__).name and not p.name.startswith("_")
    )
    if include_skipped:
        return paths
    return [p for p in paths if skip_reason(p) is None]


def _env():
    env = dict(os.environ)
    env["SKLEARN_SEQ_SMALL"] = "1"
    env["MPLBACKEND"] = "Agg"
    env.setdefault("OMP_NUM_THREADS", "1")
    # run the checkout even when the package is not installed
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH")) if p
    )
    return env


def main(argv=None):
    words = sys.argv[1:] if argv is None else argv
    selected = [
        p
        for p in example_paths(include_skipped=True)
        if not words or any(w in p.name for w in words)
    ]
    if not selected:
        print(f"no example matches {words}", file=sys.stderr)
        return 2
    env, durations, start = _env(), [], time.perf_counter()
    for path in selected:
        reason = skip_reason(path)
        rel = os.path.relpath(path, ROOT)
        if reason:
            print(f"SKIP {rel} (not for CI: {reason})", flush=True)
            continue
        print(f"RUN  {rel} ...", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(path)],
            check=False,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stdout, end="", file=sys.stderr)
            print(
                f"\nFAIL {rel}: exit code {proc.returncode} after {elapsed:.1f}s "
                "(output above)",
                file=sys.stderr,
            )
            return 1
        durations.append((rel, elapsed))
        print(f"ok   {rel} {elapsed:7.1f}s", flush=True)
    total = time.perf_counter() - start
    print(f"\n{len(durations)} examples passed in {total:.1f}s")
    for rel, elapsed in sorted(durations, key=lambda d: -d[1]):
        print(f"  {elapsed:7.1f}s  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
