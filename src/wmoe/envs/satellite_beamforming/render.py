"""Frames of ``wmoe/SatelliteBeamforming-v0``: the served area seen from above.

Static (drawn once): the served disc and its earth-fixed cells in the four-colour reuse map
(:meth:`~wmoe.envs.satellite_beamforming.core.SatelliteCore.cell_colours`). Per frame: the
pass's ground track, the users, the GEO terminals (green, red above the protection I/N) and,
after a step, each beam's footprint (the nadir 3 dB beam width) at its user, coloured by its
sub-band (grey: full reuse) and as opaque as its share of the beam power cap, labelled with
the user's spectral efficiency. Beams are drawn at the users' current positions (they moved
by ``user_speed_mps * step_s`` since the step, far less than a beam width). ``-v1`` draws each
env with the renderer of its episode's band (:class:`TaskMixRenderer`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_rgba
from matplotlib.patches import Circle, Rectangle
from numpy.typing import NDArray

from wmoe.envs.rendering import BlitFigure, StateRenderer
from wmoe.envs.satellite_beamforming.core import PRECODERS, SatelliteCore
from wmoe.envs.satellite_beamforming.geometry import pass_time_s
from wmoe.envs.satellite_beamforming.tasks import TaskMixCore

FULL_REUSE_COLOUR = "#7f7f7f"
KM = 1e3  # [m]


def subband_colours(num_subbands: int) -> list[tuple[float, float, float, float]]:
    """One colour per sub-band (tab10), then the full-reuse grey."""
    palette = colormaps["tab10"](np.arange(10))
    colours = [to_rgba(palette[i % len(palette)]) for i in range(num_subbands)]
    return colours + [to_rgba(FULL_REUSE_COLOUR)]


class SatelliteRenderer(StateRenderer):
    """Draws satellite envs as a map of the served area [km from its centre].

    Args:
        core: The satellite core (read only).
        num_envs: Number of environments the core holds.
        band: Index into ``core.links`` of the band whose served area (disc and reuse cells)
            the static map shows; it draws the envs of that band.
    """

    core: SatelliteCore

    def __init__(self, core: SatelliteCore, num_envs: int, band: int = 0) -> None:
        super().__init__(core, num_envs)
        self._link = core.links[band]
        self._colours = np.array(subband_colours(core.num_subbands))
        self.canvas = BlitFigure()
        figure = self.canvas.figure
        ax = figure.add_axes((0.1, 0.09, 0.54, 0.84))
        radius_km = self._link.footprint_radius_m / KM
        extent = 1.15 * radius_km
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.set_aspect("equal")
        ax.set_xlabel("east [km]")
        ax.set_ylabel("north [km]")
        ax.tick_params(labelsize=7)
        ax.set_title("SatelliteBeamforming-v0: beams over the served area", fontsize=9)
        self._draw_cells(ax, radius_km)
        ax.add_patch(Circle((0.0, 0.0), radius_km, fill=False, lw=1.0, ls="--"))
        animated = self.canvas.animated
        (self._track,) = ax.plot([], [], "-", color="black", lw=0.8, alpha=0.6)
        animated(self._track)
        beam_points = self._link.cell_size_m / KM * self._points_per_km(ax)
        self._beams = animated(ax.scatter([], [], s=beam_points**2, linewidths=0.8, zorder=2))
        self._users = animated(ax.scatter([], [], s=10, c="black", zorder=3))
        self._terminals = animated(ax.scatter([], [], s=45, marker="X", zorder=4))
        self._ax = ax
        self._labels = [
            self.canvas.overlay_text(0.0, 0.0, 6, anchor="md") for _ in range(core.num_users)
        ]
        legend = (
            "dot: user, X: GEO terminal\ncircle: beam (3 dB width)\n"
            "colour: sub-band, grey: all\nopacity: power / cap\nlabel: SE [bit/s/Hz]"
        )
        figure.text(0.67, 0.93, legend, fontsize=7.5, va="top", family="monospace")
        self._text = self.canvas.overlay_text(0.67, 0.64, 8, monospace=True)

    @staticmethod
    def _points_per_km(ax: object) -> float:
        """Typographic points per km of the (equal-aspect) axes."""
        figure = ax.figure  # type: ignore[attr-defined]
        width_in = ax.get_position().width * figure.get_figwidth()  # type: ignore[attr-defined]
        low, high = ax.get_xlim()  # type: ignore[attr-defined]
        return float(72.0 * width_in / (high - low))

    def _draw_cells(self, ax: object, radius_km: float) -> None:
        """The earth-fixed cells of the reuse map inside the served disc, faintly coloured."""
        core = self.core
        size_km = self._link.cell_size_m / KM
        count = math.ceil(radius_km / size_km)
        for i in range(-count, count):
            for j in range(-count, count):
                x, y = i * size_km, j * size_km
                nearest = np.hypot(np.clip(0.0, x, x + size_km), np.clip(0.0, y, y + size_km))
                if nearest > radius_km:
                    continue
                colour = self._colours[(2 * (i % 2) + j % 2) % core.num_subbands]
                ax.add_patch(  # type: ignore[attr-defined]
                    Rectangle((x, y), size_km, size_km, color=colour, alpha=0.12, lw=0)
                )

    def frame(self, env: int) -> NDArray[np.uint8]:
        """Env ``env``'s users and GEO terminals and, after a step, its beams."""
        core, config = self.core, self.core.config
        users = core.user_offsets_m[env] / KM
        terminals = core.terminal_offsets_m[env] / KM
        heading = math.radians(config["pass_heading_deg"])
        along = np.array([math.sin(heading), math.cos(heading)])
        across = np.array([math.cos(heading), -math.sin(heading)])
        centre = -core.cross_offset_m[env] / KM * across
        ends = centre + np.outer([-3.0, 3.0], along) * core.footprint_radius_m[env] / KM
        self._track.set_data(ends[:, 0], ends[:, 1])
        self._users.set_offsets(users)
        self._terminals.set_offsets(terminals)
        steps = int(core.steps[env])
        time_s = float(pass_time_s(steps, config["step_s"], config["episode_length"]))
        lines = [
            f"step  {steps} / {config['episode_length']}",
            f"t     {time_s:+.0f} s from closest",
            f"elev  {core.elevation_deg[env].min():.0f} deg (lowest user)",
            f"rain  {core.rain_rate_mm_per_h[env]:.1f} mm/h",
        ]
        info = self.last_info[env]
        threshold = config["geo_i_over_n_threshold_db"]
        if info is None:
            self._beams.set_visible(False)
            self._terminals.set_facecolor("green")
            for label in self._labels:
                label.visible = False
        else:
            cap = max(float(core.beam_cap_w[env]), 1e-300)
            fraction = np.clip(info["beam_power_w"] / cap, 0.0, 1.0)
            colours = self._colours[info["beam_subband"]].copy()
            colours[:, 3] = 0.15 + 0.6 * fraction
            self._beams.set_offsets(users)
            self._beams.set_facecolor(colours)
            self._beams.set_edgecolor(self._colours[info["beam_subband"]])
            self._beams.set_visible(True)
            for label, (x, y), se in zip(self._labels, users, info["user_se_bps_hz"], strict=True):
                label.position_px = self.canvas.to_pixels(self._ax, x, y)
                label.text = f"{se:.2f}"
                label.visible = True
            above = info["geo_i_over_n_db"] > threshold
            self._terminals.set_facecolor(
                np.where(above[:, None], to_rgba("red"), to_rgba("green")).tolist()
            )
            worst = info["geo_i_over_n_db"].max() if len(above) else float("-inf")
            lines += [
                "",
                f"sum SE  {float(info['sum_se_bps_hz']):6.2f} bit/s/Hz",
                f"power   {float(info['power_w']):6.1f} / {core.total_power_w[env]:.1f} W",
                f"GEO I/N {worst:6.1f} dB (worst)",
                f"  limit {threshold:6.1f} dB",
                f"penalty {float(info['geo_penalty']):6.2f}",
                f"precoder {PRECODERS[int(info['precoder'])]}",
            ]
        self._text.text = "\n".join(lines)
        return self.canvas.frame()


class TaskMixRenderer(StateRenderer):
    """Draws the envs of a :class:`~.tasks.TaskMixCore`: each with its band's renderer.

    Args:
        core: The v1 core (read only).
        num_envs: Number of environments the core holds.
    """

    core: TaskMixCore

    def __init__(self, core: TaskMixCore, num_envs: int) -> None:
        super().__init__(core, num_envs)
        self.renderers = {
            band: SatelliteRenderer(core.core, num_envs, band)
            for band in range(len(core.core.links))
        }

    def reset(self, envs: NDArray[np.int64]) -> None:
        """``envs`` started new episodes: forget their last steps in every band's renderer."""
        super().reset(envs)
        for renderer in self.renderers.values():
            renderer.reset(envs)

    def record_step(self, envs: NDArray[np.int64], info: dict[str, NDArray[Any]]) -> None:
        """Remember the step's info in every band's renderer."""
        super().record_step(envs, info)
        for renderer in self.renderers.values():
            renderer.record_step(envs, info)

    def frame(self, env: int) -> NDArray[np.uint8]:
        """Env ``env``'s state, drawn by the renderer of its current band."""
        return self.renderers[int(self.core.core.band[env])].frame(env)
