"""Peak memory and time of loading a folder in DeepMIMO's O1 layout, at a fraction of O1's size.

Writes O1-format folders (``wmoe.scenarios.o1_format``: 18 one-BS TX sets, user grids UG1-UG3,
random paths, 25 path slots) keeping every k-th row of each user grid, then in a fresh process
per step builds the uplink Gram cache (``load_uplink_grams``) and reads it back, reporting each
process's peak resident memory. With two fractions it fits peak = a + b * users and
extrapolates to real O1's 1,184,923 users (one user grid of one BS is in memory at a time, so
the part that grows with the users is the Gram array plus the largest grid's paths).

    .venv/bin/python benchmarks/perf/o1_memory.py --row-strides 20 10

Folders go to a temporary directory (``--work-dir``, default under /tmp) and are deleted
afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

O1_USERS = 1_184_923
MIB = 2**20


def _peak_rss_mib() -> float:
    """This process's peak resident memory [MiB] (VmHWM: unlike ru_maxrss, not inherited)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # [kB]
    raise RuntimeError("/proc/self/status has no VmHWM line (Linux only)")


def _child(mode: str, folder: str, cache_dir: str) -> None:
    """Run one step in this (fresh) process and print its figures as JSON."""
    from wmoe.scenarios.channel_cache import load_uplink_grams
    from wmoe.scenarios.deepmimo_loader import ArrayConfig

    baseline = _peak_rss_mib()
    start = time.perf_counter()
    grams = load_uplink_grams(folder, ArrayConfig(), cache_dir)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "mode": mode,
                "users": int(grams.gram.shape[0]),
                "gram_mib": grams.gram.nbytes / MIB,
                "baseline_mib": baseline,
                "peak_mib": _peak_rss_mib(),
                "seconds": seconds,
            }
        )
    )


def _run_child(mode: str, folder: Path, cache_dir: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, str(folder), str(cache_dir)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def _measure(row_stride: int, work_dir: Path) -> dict[str, float]:
    from wmoe.scenarios.o1_format import O1FormatConfig, write_o1_format

    start = time.perf_counter()
    folder = write_o1_format(
        work_dir / f"stride{row_stride}", O1FormatConfig(name="o1_3p5", row_stride=row_stride)
    )
    write_s = time.perf_counter() - start
    disk_mib = sum(p.stat().st_size for p in folder.iterdir()) / MIB
    cache_dir = work_dir / f"cache{row_stride}"
    build = _run_child("build", folder, cache_dir)
    read = _run_child("read", folder, cache_dir)
    cache_mib = sum(p.stat().st_size for p in cache_dir.iterdir()) / MIB
    return {
        "row_stride": row_stride,
        "users": build["users"],
        "write_s": write_s,
        "disk_mib": disk_mib,
        "gram_mib": build["gram_mib"],
        "cache_mib": cache_mib,
        "baseline_mib": build["baseline_mib"],
        "build_peak_mib": build["peak_mib"],
        "build_s": build["seconds"],
        "read_peak_mib": read["peak_mib"],
        "read_s": read["seconds"],
    }


def main() -> None:
    """Measure each fraction, print a table and the extrapolation to real O1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--row-strides", type=int, nargs="+", default=[20, 10])
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the written folders")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    work_dir = Path(tempfile.mkdtemp(prefix="wmoe-o1-memory-", dir=args.work_dir))
    try:
        rows = [_measure(stride, work_dir) for stride in args.row_strides]
    finally:
        if not args.keep:
            shutil.rmtree(work_dir)
    header = (
        f"{'stride':>6} {'users':>9} {'files MiB':>9} {'write s':>7} {'gram MiB':>8} "
        f"{'build peak MiB':>14} {'build s':>7} {'read peak MiB':>13} {'read s':>6} "
        f"{'import MiB':>10}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['row_stride']:>6} {r['users']:>9,} {r['disk_mib']:>9,.0f} {r['write_s']:>7.0f} "
            f"{r['gram_mib']:>8,.0f} {r['build_peak_mib']:>14,.0f} {r['build_s']:>7.0f} "
            f"{r['read_peak_mib']:>13,.0f} {r['read_s']:>6.1f} {r['baseline_mib']:>10,.0f}"
        )
    if len(rows) >= 2:
        users = np.array([r["users"] for r in rows], dtype=float)
        for key, label in (("build_peak_mib", "build"), ("read_peak_mib", "read")):
            slope, intercept = np.polyfit(users, [r[key] for r in rows], 1)
            full = intercept + slope * O1_USERS
            print(
                f"{label}: peak = {intercept:,.0f} MiB + {slope * 1e3:.2f} kiB/user "
                f"-> real O1 ({O1_USERS:,} users): {full / 1024:.1f} GiB"
            )
        seconds = np.polyfit(users, [r["build_s"] for r in rows], 1)
        print(f"build time -> real O1: {np.polyval(seconds, O1_USERS) / 60:.0f} min")


if __name__ == "__main__":
    main()
