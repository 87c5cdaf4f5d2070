"""Run one command as a child process and report its wall time and peak RSS.

Each measurement runs in a fresh wrapper process, so RUSAGE_CHILDREN's maximum is the
peak of exactly that one command.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def measure(
    cmd: list[str], stdout: Path | None = None, cwd: Path | None = None
) -> dict[str, float]:
    """Wall seconds, peak RSS (bytes) and exit code of `cmd`, measured in a fresh wrapper."""
    wrapper = [sys.executable, __file__, json.dumps(cmd), str(stdout or "/dev/null")]
    out = subprocess.run(wrapper, cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _main() -> None:
    cmd, target = json.loads(sys.argv[1]), sys.argv[2]
    with open(target, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=sink, stderr=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall": wall, "peak": peak_kb * 1024, "code": proc.returncode}))


if __name__ == "__main__":
    _main()
