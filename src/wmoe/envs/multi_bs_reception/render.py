"""Frames of ``wmoe/MultiBSReception-v0``: the O1 street map, the UE and its cooperative sets.

Static (drawn once): buildings, user grid and numbered BSs (:func:`wmoe.scenarios.plot.
draw_scene`). Per frame: the next UE (hollow circle), the UE served at the last step (star)
with lines to the BSs of the chosen set (blue) and its rate. With ``info_oracle`` (the env
then pays for the exhaustive search over every set and codeword anyway) also the oracle's set
(orange, dashed) and rate; the search takes milliseconds per user, more than the rest of the
frame, so it is not drawn by default.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.collections import LineCollection
from numpy.typing import NDArray

from wmoe.envs.multi_bs_reception.core import ReceptionCore
from wmoe.envs.rendering import BlitFigure, StateRenderer
from wmoe.scenarios.plot import draw_scene

CHOSEN_COLOUR = "#1f5fbf"
ORACLE_COLOUR = "#e07b00"


class ReceptionRenderer(StateRenderer):
    """Draws reception envs over their scenario's street map.

    Args:
        core: The reception core (read only).
        num_envs: Number of environments the core holds.
    """

    core: ReceptionCore

    def __init__(self, core: ReceptionCore, num_envs: int) -> None:
        super().__init__(core, num_envs)
        self._oracle_sets: dict[int, tuple[NDArray[np.int64], float]] = {}
        data = core.data
        self._users = data.user_positions[:, :2]
        self._bs = data.bs_positions[:, :2]
        self.canvas = BlitFigure()
        figure = self.canvas.figure
        ax = figure.add_axes((0.09, 0.09, 0.5, 0.86))
        draw_scene(ax, data.user_positions, data.bs_positions, data.synthetic)
        ax.set_title(f"MultiBSReception-v0, {data.scenario}", fontsize=9)
        ax.tick_params(labelsize=7)
        animated = self.canvas.animated
        self._oracle_lines = LineCollection([], colors=ORACLE_COLOUR, linestyles="--", lw=1.6)
        self._chosen_lines = LineCollection([], colors=CHOSEN_COLOUR)
        for lines in (self._oracle_lines, self._chosen_lines):
            animated(lines)
            ax.add_collection(lines)
        (self._served,) = ax.plot([], [], "*", color=CHOSEN_COLOUR, ms=11, zorder=5)
        (self._next,) = ax.plot([], [], "o", mfc="none", mec="black", ms=8, mew=1.5, zorder=5)
        animated(self._served)
        animated(self._next)
        legend = (
            "o  next UE\n*  UE served at the last step\n"
            "blue: chosen set\norange, dashed: oracle's set\n  (with info_oracle)"
        )
        figure.text(0.63, 0.93, legend, fontsize=8, va="top", family="monospace")
        self._text = self.canvas.overlay_text(0.63, 0.62, 9, monospace=True)

    def _oracle(self, user: int) -> tuple[NDArray[np.int64], float]:
        """The oracle's set and rate for ``user`` (searched once per user, then remembered)."""
        if user not in self._oracle_sets:
            best_set, _, best_rate = self.core.oracle(np.array([user]))
            self._oracle_sets[user] = (self.core.bs_sets[best_set[0]], float(best_rate[0]))
        return self._oracle_sets[user]

    def _segments(self, user: int, members: NDArray[np.int64]) -> list[NDArray[np.float64]]:
        return [np.stack([self._users[user], self._bs[b]]) for b in members]

    def frame(self, env: int) -> NDArray[np.uint8]:
        """Env ``env``'s next UE and, after a step, its last decision against the oracle's."""
        core = self.core
        user = int(core.user[env])
        self._next.set_data([self._users[user, 0]], [self._users[user, 1]])
        lines = [f"step   {int(core.elapsed[env])} / {core.config['episode_length']}"]
        info: dict[str, Any] | None = self.last_info[env]
        if info is None:
            for artist in (self._served, self._chosen_lines, self._oracle_lines):
                artist.set_visible(False)
        else:
            served = int(info["user_index"])
            chosen = info["bs_set"]
            self._served.set_data([self._users[served, 0]], [self._users[served, 1]])
            self._chosen_lines.set_segments(self._segments(served, chosen))
            self._served.set_visible(True)
            self._chosen_lines.set_visible(True)
            lines += ["", f"chosen BSs  {' '.join(str(b + 1) for b in chosen)}"]
            rates = [
                "",
                "rate [bit/s/Hz]",
                f"  agent     {float(info['rate']):6.2f}",
                f"  best W    {float(info['expert_rate']):6.2f}",
            ]
            if core.config["info_oracle"]:
                oracle_set, oracle_rate = self._oracle(served)
                self._oracle_lines.set_segments(self._segments(served, oracle_set))
                lines.append(f"oracle BSs  {' '.join(str(b + 1) for b in oracle_set)}")
                rates.append(f"  oracle    {oracle_rate:6.2f}")
            self._oracle_lines.set_visible(bool(core.config["info_oracle"]))
            lines += rates
        self._text.text = "\n".join(lines)
        return self.canvas.frame()
