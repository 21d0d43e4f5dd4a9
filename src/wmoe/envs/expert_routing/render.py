"""Frames of ``wmoe/ExpertRouting-v0``: the devices' queues and links, and the routed task.

Static (drawn once): the axes, one row per edge device. Per frame: each device's link
backlog and compute backlog [ms] (its queues), its instantaneous link SNR [dB] and, after a
step, the device the last task went to (or "dropped") with its latency and whether the
expert was right.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from wmoe.envs.expert_routing.core import RoutingCore
from wmoe.envs.rendering import BlitFigure, StateRenderer

MS = 1e3  # [ms/s]
QUEUE_AXIS_MS = 100.0  # full scale of the queue axis [ms]
SNR_AXIS_DB = (-20.0, 60.0)  # range of the SNR axis [dB]
ROUTED_COLOUR = "#e07b00"


class RoutingRenderer(StateRenderer):
    """Draws expert-routing envs as per-device queue and link bars.

    Args:
        core: The routing core (read only).
        num_envs: Number of environments the core holds.
    """

    core: RoutingCore

    def __init__(self, core: RoutingCore, num_envs: int) -> None:
        super().__init__(core, num_envs)
        k = core.num_experts
        rows = np.arange(k)
        self.canvas = BlitFigure()
        figure = self.canvas.figure
        animated = self.canvas.animated
        queue_ax = figure.add_axes((0.12, 0.3, 0.45, 0.6))
        queue_ax.set_title("ExpertRouting-v0: device queues", fontsize=9, loc="left")
        queue_ax.set_xlim(0.0, QUEUE_AXIS_MS)
        queue_ax.set_ylim(k - 0.5, -0.5)
        queue_ax.set_yticks(rows, [f"device {i}" for i in rows])
        queue_ax.set_xlabel("backlog [ms] (link: upper, compute: lower)", fontsize=8)
        queue_ax.tick_params(labelsize=7)
        link = queue_ax.barh(rows - 0.2, np.zeros(k), height=0.38, color="#1f77b4")
        compute = queue_ax.barh(rows + 0.2, np.zeros(k), height=0.38, color="#9467bd")
        self._link_bars = [animated(bar) for bar in link]
        self._compute_bars = [animated(bar) for bar in compute]
        snr_ax = figure.add_axes((0.62, 0.3, 0.2, 0.6))
        snr_ax.set_title("link SNR", fontsize=9)
        snr_ax.set_xlim(*SNR_AXIS_DB)
        snr_ax.set_ylim(k - 0.5, -0.5)
        snr_ax.set_yticks([])
        snr_ax.set_xlabel("[dB]", fontsize=8)
        snr_ax.tick_params(labelsize=7)
        bars = snr_ax.barh(rows, np.zeros(k), left=SNR_AXIS_DB[0], color="#2ca02c")
        self._snr_bars = [animated(bar) for bar in bars]
        (self._routed,) = queue_ax.plot([], [], "<", color=ROUTED_COLOUR, ms=10, clip_on=False)
        animated(self._routed)
        figure.text(0.12, 0.05, "orange triangle: device of the last task", fontsize=8)
        self._text = self.canvas.overlay_text(0.12, 0.2, 8, monospace=True)

    def frame(self, env: int) -> NDArray[np.uint8]:
        """Env ``env``'s queues and links now and its last routing decision."""
        core = self.core
        index = np.array([env])
        link_ms = core.link_backlog_s[env] * MS
        compute_ms = core.compute_backlog_s[env] * MS
        snr_db = 10.0 * np.log10(np.maximum(core.instantaneous_snr(index)[0], 1e-30))
        for bars, values in (
            (self._link_bars, link_ms),
            (self._compute_bars, compute_ms),
            (self._snr_bars, np.clip(snr_db, *SNR_AXIS_DB) - SNR_AXIS_DB[0]),
        ):
            for bar, value in zip(bars, values, strict=True):
                bar.set_width(float(value))
        lines = [f"task {int(core.steps[env])} / {core.config['episode_length']}"]
        info = self.last_info[env]
        if info is None or bool(info["dropped"]):
            self._routed.set_visible(False)
        else:
            self._routed.set_data([QUEUE_AXIS_MS], [int(info["expert"])])
            self._routed.set_visible(True)
        if info is not None:
            if bool(info["dropped"]):
                lines.append("last task: dropped")
            else:
                verdict = "right" if bool(info["correct"]) else "wrong"
                lines.append(
                    f"last task: device {int(info['expert'])}, expert {verdict}, "
                    f"latency {float(info['latency_s']) * MS:.1f} ms"
                )
                lines.append(
                    f"  queue {float(info['queue_s']) * MS:.1f} ms, "
                    f"tx {float(info['tx_time_s']) * MS:.1f} ms, "
                    f"compute {float(info['compute_s']) * MS:.1f} ms"
                )
        self._text.text = "\n".join(lines)
        return self.canvas.frame()
