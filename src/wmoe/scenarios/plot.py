"""Pictures of a DeepMIMO scenario: buildings, base stations, user grid, best-server map.

:func:`draw_scene` draws the street map on a matplotlib axes (the reception env's rendering
and the MoE expert map draw on top of it); :func:`plot_scenario` saves the ``wmoe scenario
plot`` figure. Only wmoe's synthetic scenarios have known buildings
(:mod:`wmoe.scenarios.o1_layout`, or :mod:`wmoe.scenarios.o1_geometry` when the BSs stand at
its positions); for other scenarios the map shows BSs and users only.
Figures are drawn on matplotlib's Agg canvas (no display needed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from numpy.typing import NDArray

from wmoe.scenarios import o1_geometry, o1_layout

BUILDING_COLOUR = "#b9b9b9"
BS_COLOUR = "#202020"
MARKER_POINTS = 4.0  # side of a user's square marker in the maps [pt]


def categorical_colours(count: int) -> ListedColormap:
    """``count`` colours: tab20's ten strong ones, then its ten light ones, then repeated."""
    from matplotlib import colormaps

    base = colormaps["tab20"](np.r_[0:20:2, 1:20:2])
    return ListedColormap(base[np.arange(count) % len(base)])


def _synthetic_footprints(bs_positions: NDArray[np.float64]) -> NDArray[np.float64]:
    """Building footprints (x0, x1, y0, y1) [m] of the synthetic layout these BSs belong to."""
    o1_bs = o1_geometry.base_station_positions()
    if bs_positions.shape[0] == len(o1_bs) and np.allclose(
        bs_positions[:, :2], o1_bs[:, :2], atol=1e-3
    ):
        return np.array(o1_geometry.buildings())[:, :4]
    return np.array(o1_layout.building_blocks())


def draw_scene(
    ax: Axes,
    user_positions: NDArray[np.float64],
    bs_positions: NDArray[np.float64],
    synthetic: bool,
    *,
    show_users: bool = True,
    label_bs: bool = True,
) -> None:
    """Draw buildings (synthetic layouts), the user grid and the numbered BSs.

    Args:
        ax: Axes to draw on; its limits are set to the scene with equal aspect.
        user_positions: ``(users, >=2)`` positions [m].
        bs_positions: ``(BSs, >=2)`` positions [m].
        synthetic: Whether the scenario is wmoe's synthetic one (buildings known).
        show_users: Draw the user grid as faint dots.
        label_bs: Write each BS's number (1-based, as DeepMIMO names them) beside it.
    """
    blocks = _synthetic_footprints(bs_positions) if synthetic else np.zeros((0, 4))
    for x0, x1, y0, y1 in blocks:
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, color=BUILDING_COLOUR, lw=0))
    if show_users:
        step = max(1, len(user_positions) // 4000)
        users = user_positions[::step]
        ax.scatter(users[:, 0], users[:, 1], s=0.3, c="#8fb3d9", marker=".", linewidths=0)
    ax.scatter(bs_positions[:, 0], bs_positions[:, 1], s=28, c=BS_COLOUR, marker="^", zorder=3)
    if label_bs:
        for index, (x, y) in enumerate(bs_positions[:, :2]):
            ax.annotate(
                str(index + 1), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=6
            )
    points = np.concatenate([user_positions[:, :2], bs_positions[:, :2]])
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.05 * float((high - low).max())
    if synthetic:
        low = np.minimum(low, [blocks[:, 0].min(), blocks[:, 2].min()])
        high = np.maximum(high, [blocks[:, 1].max(), blocks[:, 3].max()])
        margin = 5.0
    ax.set_xlim(low[0] - margin, high[0] + margin)
    ax.set_ylim(low[1] - margin, high[1] + margin)
    ax.set_aspect("equal")
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")


def plot_scenario(
    path: Path | str,
    user_positions: NDArray[np.float64],
    bs_positions: NDArray[np.float64],
    rx_power_dbm: NDArray[np.float64],
    synthetic: bool,
    title: str,
) -> Path:
    """Save the scenario picture: street map with a best-server map and a coverage map.

    Args:
        path: Image file to write (the format follows the suffix, e.g. ``.png``, ``.pdf``).
        user_positions: ``(users, >=2)`` positions [m].
        bs_positions: ``(BSs, >=2)`` positions [m].
        rx_power_dbm: ``(users, BSs)`` mean received power per BS [dBm]; ``-inf`` where a
            BS has no path to the user.
        synthetic: Whether the scenario is wmoe's synthetic one (buildings known).
        title: Figure title.

    Returns:
        The written file.

    Raises:
        ValueError: If the array shapes disagree.
    """
    if rx_power_dbm.shape != (len(user_positions), len(bs_positions)):
        raise ValueError(
            f"rx_power_dbm has shape {rx_power_dbm.shape}; expected (users, BSs) = "
            f"({len(user_positions)}, {len(bs_positions)})"
        )
    figure = Figure(figsize=(11, 6.5), dpi=120)
    FigureCanvasAgg(figure)
    server_ax, power_ax = figure.subplots(1, 2)
    best = rx_power_dbm.argmax(axis=1)
    best_power = rx_power_dbm.max(axis=1)
    covered = np.isfinite(best_power)
    x, y = user_positions[covered, 0], user_positions[covered, 1]
    num_bs = len(bs_positions)
    for ax in (server_ax, power_ax):
        draw_scene(ax, user_positions, bs_positions, synthetic, show_users=False)
    server_ax.scatter(
        x,
        y,
        c=best[covered],
        cmap=categorical_colours(num_bs),
        vmin=-0.5,
        vmax=num_bs - 0.5,
        s=MARKER_POINTS,
        marker="s",
        linewidths=0,
    )
    server_ax.set_title("best server (strongest mean received power)")
    coverage = power_ax.scatter(
        x, y, c=best_power[covered], cmap="viridis", s=MARKER_POINTS, marker="s", linewidths=0
    )
    figure.colorbar(
        coverage, ax=power_ax, label="mean received power per antenna pair, best BS [dBm]"
    )
    power_ax.set_title("coverage")
    figure.suptitle(title)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
