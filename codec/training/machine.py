"""Which CPU this process runs on, recorded beside the timings and CPU-hours that depend on it.

A training step's cost differs by CPU (bf16 matrix units, AMX, make one Xeon
run a step 1.9× as fast as an AVX-512 EPYC), so CPU-hours are only comparable
with the CPU named beside them.
"""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_name() -> str | None:
    """The CPU's model name (``/proc/cpuinfo``, else the platform's), or None if unknown."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None
