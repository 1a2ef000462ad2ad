"""How long `acrlink up --detach` takes to be ready (endpoints.json written, ARM answering).

Run: .venv/bin/python bench/startup.py [runs]. Prints the median and the spread of the runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time


def once() -> float:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "ACRLINK_DATA_DIR": data_dir}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "acrlink", "up", "--detach"], env=env, check=True, capture_output=True)
        ready = time.perf_counter() - started
        subprocess.run([sys.executable, "-m", "acrlink", "down"], env=env, check=True, capture_output=True)
        return ready


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    times = sorted(once() for _ in range(runs))
    print(
        f"acrlink up --detach ready in: median {statistics.median(times):.3f}s, "
        f"min {times[0]:.3f}s, max {times[-1]:.3f}s over {runs} runs (first start: new CA and database)"
    )


if __name__ == "__main__":
    main()
