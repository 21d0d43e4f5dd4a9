"""Channel statistics of wmoe's synthetic scenarios against 3GPP TR 38.901 UMi and public O1.

Run from the repository root (a few minutes on one core at the default strides)::

    .venv/bin/python benchmarks/scenarios/o1_statistics.py [--row-stride 40] [--user-stride 30]

With ``--sionna`` (needs ``make sionna-rt``; about 11 min and 9 GB on one core at the default
strides) the table instead sets the default scenario ``o1_synthetic_3p5`` beside the same
layout and users traced by Sionna RT (:mod:`wmoe.scenarios.sionna_trace`), once with specular
paths only (wmoe's tracer's physics) and once with edge diffraction.

Otherwise both synthetic scenarios are written at the given strides into a temporary folder
(``o1_synthetic_3p5``: the envs' default layout; ``o1_geometry_3p5``: O1's published geometry,
:mod:`wmoe.scenarios.o1_geometry`, with its default 3 facade bounces and, for comparison, 2),
their DeepMIMO files are read back, and one markdown table compares, over every (BS, user)
link with at least one path:

* path loss vs 3-D distance, fitted as PL = A + 10 n log10(d / 1 m), LOS and NLOS links, and
  the median of (PL - TR 38.901 UMi-Street Canyon PL) (TR 38.901 V17 Table 7.4.1-1, at the
  carrier, h_BS = 6 m, h_UT = 2 m; NLOS is max(PL_LOS, PL'_NLOS));
* LOS share per 2-D distance bin against the UMi LOS probability (Table 7.4.2-1);
* the median RMS delay spread against 10^mu_lgDS (Table 7.5-6 Part-1, UMi-Street Canyon);
* the Ricean K factor of LOS links (LOS power over the other paths' power) against the
  UMi LOS K distribution, mean 9 dB, std 5 dB (Table 7.5-6 Part-1);
* paths per link (DeepMIMO's files carry up to 25 paths per link, ``deepmimo.consts``).

Link power sums both slanted BS ports (|g_+45|^2 + |g_-45|^2 equals the co-polarised V-V power
of the vertical UE antenna), paths added incoherently, as ray-tracing path loss is defined.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from wmoe.scenarios.deepmimo_loader import ScenarioInfo, TxPoint, matrix_path, read_scenario_info
from wmoe.scenarios.synthetic_o1 import O1GeometryConfig, SyntheticO1Config, write_synthetic_o1

FREQUENCY_GHZ = 3.5
BS_HEIGHT_M = 6.0
UT_HEIGHT_M = 2.0
SPEED_OF_LIGHT_M_S = 299_792_458.0
DISTANCE_BINS_M = (0.0, 25.0, 50.0, 100.0, 200.0, 400.0, np.inf)
# TR 38.901 Table 7.5-6 Part-1, UMi-Street Canyon (fc in GHz): lgDS = log10(DS / 1 s).
LG_DS_LOS = -0.24 * np.log10(1.0 + FREQUENCY_GHZ) - 7.14
LG_DS_NLOS = -0.24 * np.log10(1.0 + FREQUENCY_GHZ) - 6.83
K_LOS_MEAN_DB, K_LOS_STD_DB = 9.0, 5.0
DEEPMIMO_MAX_PATHS = 25


def tr38901_umi_los_db(d3d: NDArray[np.float64], d2d: NDArray[np.float64]) -> NDArray[np.float64]:
    """TR 38.901 Table 7.4.1-1 UMi-Street Canyon LOS path loss [dB] (breakpoint included)."""
    h_e = 1.0  # effective environment height of UMi [m]
    d_bp = (
        4.0 * (BS_HEIGHT_M - h_e) * (UT_HEIGHT_M - h_e) * FREQUENCY_GHZ * 1e9 / SPEED_OF_LIGHT_M_S
    )
    pl1 = 32.4 + 21.0 * np.log10(d3d) + 20.0 * np.log10(FREQUENCY_GHZ)
    pl2 = (
        32.4
        + 40.0 * np.log10(d3d)
        + 20.0 * np.log10(FREQUENCY_GHZ)
        - 9.5 * np.log10(d_bp**2 + (BS_HEIGHT_M - UT_HEIGHT_M) ** 2)
    )
    return np.where(d2d <= d_bp, pl1, pl2)


def tr38901_umi_nlos_db(d3d: NDArray[np.float64], d2d: NDArray[np.float64]) -> NDArray[np.float64]:
    """TR 38.901 Table 7.4.1-1 UMi-Street Canyon NLOS path loss [dB]."""
    pl_prime = (
        35.3 * np.log10(d3d) + 22.4 + 21.3 * np.log10(FREQUENCY_GHZ) - 0.3 * (UT_HEIGHT_M - 1.5)
    )
    return np.maximum(tr38901_umi_los_db(d3d, d2d), pl_prime)


def tr38901_umi_los_probability(d2d: NDArray[np.float64]) -> NDArray[np.float64]:
    """TR 38.901 Table 7.4.2-1 UMi-Street Canyon LOS probability."""
    d = np.maximum(d2d, 1e-9)
    return np.where(d <= 18.0, 1.0, 18.0 / d + np.exp(-d / 36.0) * (1.0 - 18.0 / d))


@dataclass(frozen=True)
class Links:
    """Per-link statistics of one scenario (links with at least one path).

    Attributes:
        d3d: 3-D distance [m].
        d2d: 2-D distance [m].
        path_loss_db: -10 log10 of the summed path power [dB].
        los: Whether a line-of-sight path exists.
        k_db: Ricean K factor [dB] (NaN without LOS or without other paths).
        delay_spread_s: Power-weighted RMS delay spread [s].
        num_paths: Paths of the link.
        no_path_share: Share of all (BS, user) links without any path.
    """

    d3d: NDArray[np.float64]
    d2d: NDArray[np.float64]
    path_loss_db: NDArray[np.float64]
    los: NDArray[np.bool_]
    k_db: NDArray[np.float64]
    delay_spread_s: NDArray[np.float64]
    num_paths: NDArray[np.int64]
    no_path_share: float


def _load(info: ScenarioInfo, key: str, tx: TxPoint, rx_set: int) -> NDArray[np.float64]:
    path = matrix_path(info.folder, key, tx, rx_set)
    if path is None:
        raise FileNotFoundError(f"{info.folder}: no {key} matrix for TX {tx}, RX set {rx_set}")
    with np.load(path) as data:
        return np.asarray(data[key], dtype=np.float64)


def link_statistics(folder: Path) -> Links:
    """Read a scenario folder's paths and reduce them to per-link statistics.

    Any DeepMIMO v4 folder the loader reads works: wmoe's synthetic scenarios (two slanted
    ports, summed) and single-port ones such as the Sionna RT trace.
    """
    info = read_scenario_info(folder)
    columns: dict[str, list[NDArray[np.generic]]] = {}
    total_links = 0
    for bs in range(info.num_bs):
        ports = [port[bs] for port in info.bs_ports]
        for rx_set in info.user_sets:
            power = sum(
                10.0 ** (np.nan_to_num(_load(info, "power", tx, rx_set), nan=-np.inf) / 10)
                for tx in ports
            )
            power = np.asarray(power, dtype=np.float64)
            delay = _load(info, "delay", ports[0], rx_set)
            inter = _load(info, "inter", ports[0], rx_set)
            rx = _load(info, "rx_pos", ports[0], rx_set)
            tx = _load(info, "tx_pos", ports[0], rx_set).reshape(-1)
            valid = ~np.isnan(delay)
            total_links += len(rx)
            has = valid.any(axis=1)
            power, delay, inter, valid, rx = power[has], delay[has], inter[has], valid[has], rx[has]
            total = power.sum(axis=1)
            los_path = valid & (inter == 0)
            los_power = np.where(los_path, power, 0.0).sum(axis=1)
            los = los_path.any(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                k_db = np.where(los, 10.0 * np.log10(los_power / (total - los_power)), np.nan)
            tau = np.nan_to_num(delay)
            mean_tau = (power * tau).sum(axis=1) / total
            spread = np.sqrt(np.maximum((power * tau**2).sum(axis=1) / total - mean_tau**2, 0.0))
            values = {
                "d3d": np.linalg.norm(rx - tx, axis=1),
                "d2d": np.linalg.norm(rx[:, :2] - tx[:2], axis=1),
                "path_loss_db": -10.0 * np.log10(total),
                "los": los,
                "k_db": k_db,
                "delay_spread_s": spread,
                "num_paths": valid.sum(axis=1),
            }
            for key, value in values.items():
                columns.setdefault(key, []).append(value)
    merged = {key: np.concatenate(value) for key, value in columns.items()}
    return Links(
        d3d=merged["d3d"],
        d2d=merged["d2d"],
        path_loss_db=merged["path_loss_db"],
        los=merged["los"].astype(bool),
        k_db=merged["k_db"],
        delay_spread_s=merged["delay_spread_s"],
        num_paths=merged["num_paths"].astype(np.int64),
        no_path_share=1.0 - len(merged["d3d"]) / total_links,
    )


def fit_path_loss(links: Links, mask: NDArray[np.bool_]) -> tuple[float, float]:
    """Least-squares (A [dB], n) of PL = A + 10 n log10(d3d / 1 m) over ``mask``."""
    x = 10.0 * np.log10(links.d3d[mask])
    n, a = np.polyfit(x, links.path_loss_db[mask], 1)
    return float(a), float(n)


def rows(links: Links) -> dict[str, str]:
    """Return the table cells of one scenario, keyed by row label."""
    los, nlos = links.los, ~links.los
    cells: dict[str, str] = {}
    for label, mask, reference in (
        ("LOS", los, tr38901_umi_los_db),
        ("NLOS", nlos, tr38901_umi_nlos_db),
    ):
        if mask.sum() < 2:
            cells[f"PL fit {label}: A [dB], n"] = "n/a"
            cells[f"PL - TR 38.901 {label}, median [dB]"] = "n/a"
            continue
        a, n = fit_path_loss(links, mask)
        cells[f"PL fit {label}: A [dB], n"] = f"{a:.1f}, {n:.2f}"
        excess = links.path_loss_db[mask] - reference(links.d3d[mask], links.d2d[mask])
        cells[f"PL - TR 38.901 {label}, median [dB]"] = f"{np.median(excess):+.1f}"
    for lo, hi in zip(DISTANCE_BINS_M[:-1], DISTANCE_BINS_M[1:], strict=True):
        in_bin = (links.d2d >= lo) & (links.d2d < hi)
        label = (
            f"LOS share, d2D {lo:.0f}-{hi:.0f} m" if np.isfinite(hi) else f"LOS share, >{lo:.0f} m"
        )
        cells[label] = f"{links.los[in_bin].mean():.2f}" if in_bin.any() else "n/a"
    for label, mask in (("LOS", los), ("NLOS", nlos)):
        spread = links.delay_spread_s[mask]
        cells[f"RMS DS median, {label} [ns]"] = (
            f"{np.median(spread) * 1e9:.0f}" if spread.size else "n/a"
        )
    k = links.k_db[np.isfinite(links.k_db)]
    cells["K of LOS links: median, mean, std [dB]"] = (
        f"{np.median(k):.1f}, {k.mean():.1f}, {k.std():.1f}" if k.size else "n/a"
    )
    cells["paths per link: median, max"] = (
        f"{np.median(links.num_paths):.0f}, {links.num_paths.max()}"
    )
    cells["links without paths (share)"] = f"{links.no_path_share:.2f}"
    cells["LOS links"] = f"{links.los.sum()}"
    cells["links with paths"] = f"{len(links.d3d)}"
    return cells


def references(bin_links: Links) -> dict[str, str]:
    """Return the reference column: TR 38.901 UMi-Street Canyon and public O1 facts."""
    cells = {
        "PL fit LOS: A [dB], n": "43.3, 2.10 (d2D < 233 m breakpoint)",
        "PL - TR 38.901 LOS, median [dB]": "0 (SF std 4 dB)",
        "PL fit NLOS: A [dB], n": "33.8, 3.53 (PL'_NLOS)",
        "PL - TR 38.901 NLOS, median [dB]": "0 (SF std 7.82 dB)",
    }
    for lo, hi in zip(DISTANCE_BINS_M[:-1], DISTANCE_BINS_M[1:], strict=True):
        label = (
            f"LOS share, d2D {lo:.0f}-{hi:.0f} m" if np.isfinite(hi) else f"LOS share, >{lo:.0f} m"
        )
        in_bin = (bin_links.d2d >= lo) & (bin_links.d2d < hi)
        probability = tr38901_umi_los_probability(bin_links.d2d[in_bin])
        cells[label] = f"{probability.mean():.2f}" if in_bin.any() else "n/a"
    cells["RMS DS median, LOS [ns]"] = f"{10**LG_DS_LOS * 1e9:.0f}"
    cells["RMS DS median, NLOS [ns]"] = f"{10**LG_DS_NLOS * 1e9:.0f}"
    cells["K of LOS links: median, mean, std [dB]"] = (
        f"{K_LOS_MEAN_DB:.0f}, {K_LOS_MEAN_DB:.0f}, {K_LOS_STD_DB:.0f}"
    )
    cells["paths per link: median, max"] = f"not published, {DEEPMIMO_MAX_PATHS} (DeepMIMO O1)"
    cells["links without paths (share)"] = "not published"
    cells["LOS links"] = ""
    cells["links with paths"] = ""
    return cells


def print_table(
    columns: list[tuple[str, Links]], reference: dict[str, str], header_note: str
) -> None:
    """Print one markdown table: a column per scenario, then the reference column."""
    table = [rows(links) for _, links in columns]
    header = ["statistic", *(name for name, _ in columns), "TR 38.901 UMi-SC @ 3.5 GHz / O1"]
    print(f"{header_note}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label in table[0]:
        cells = [column[label] for column in table]
        print(f"| {label} | " + " | ".join(cells) + f" | {reference[label]} |")


def sionna_columns(scenarios_dir: str, strides: dict[str, int]) -> list[tuple[str, Links]]:
    """Trace the default layout with Sionna RT (specular only, then with diffraction)."""
    from wmoe.scenarios.sionna_trace import SionnaO1Config, write_sionna_o1

    columns = []
    for name, diffraction in (("sionna_specular", False), ("sionna_diffraction", True)):
        start = time.perf_counter()
        config = SionnaO1Config(name=name, diffraction=diffraction, **strides)
        folder = write_sionna_o1(scenarios_dir, config, overwrite=True)
        print(f"{name}: traced in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        columns.append((name, link_statistics(folder)))
    return columns


def main() -> None:
    """Write the scenarios at the given strides and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--row-stride", type=int, default=40, help="keep every k-th grid row")
    parser.add_argument("--user-stride", type=int, default=30, help="keep every k-th user")
    parser.add_argument(
        "--sionna",
        action="store_true",
        help="compare the default layout traced by wmoe and by Sionna RT (needs `make sionna-rt`)",
    )
    parser.add_argument(
        "--scenarios-dir",
        default=None,
        help="write the scenarios here and keep them (default: a temporary folder)",
    )
    args = parser.parse_args()
    strides = {"row_stride": args.row_stride, "user_stride": args.user_stride}
    configs = (
        (SyntheticO1Config(**strides),)
        if args.sionna
        else (
            SyntheticO1Config(**strides),
            O1GeometryConfig(**strides),
            O1GeometryConfig(name="o1_geometry_3p5_2bounces", max_wall_order=2, **strides),
        )
    )
    columns = []
    with contextlib.ExitStack() as stack:
        scenarios_dir = args.scenarios_dir or stack.enter_context(tempfile.TemporaryDirectory())
        for config in configs:
            with contextlib.redirect_stdout(io.StringIO()):
                folder = write_synthetic_o1(scenarios_dir, config, overwrite=True)
            columns.append((config.name, link_statistics(folder)))
        if args.sionna:
            columns += sionna_columns(scenarios_dir, strides)
    reference = references(columns[0 if args.sionna else 1][1])
    users = len(columns[0][1].d3d) / (1.0 - columns[0][1].no_path_share) / 18
    print_table(
        columns,
        reference,
        f"Strides: rows {args.row_stride}, users {args.user_stride} ({users:.0f} users, 18 BSs).",
    )


if __name__ == "__main__":
    main()
