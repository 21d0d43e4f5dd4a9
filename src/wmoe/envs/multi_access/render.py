"""Frames of ``wmoe/MultiAccess-v0``: a slot timeline per node and the nodes' throughputs.

Static (drawn once): the axes, the legend. Per frame: the last :data:`WINDOW_SLOTS` slots of
every node (the agent first, then the legacy nodes of the episode's mix, each labelled with
its protocol and channel), each slot white (no transmission), green (success) or red
(collision); each node's throughput so far (successes per slot); the mix, the sum throughput
and Jain's fairness index. The renderer keeps the timeline itself: it tells a node's
successes and collisions in a slot from the core's running counts.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb
from numpy.typing import NDArray

from wmoe.envs.multi_access.core import MultiAccessCore
from wmoe.envs.multi_access.protocols import KIND_NAMES
from wmoe.envs.multi_access.scenarios import MIX_NAMES
from wmoe.envs.rendering import BlitFigure, StateRenderer

WINDOW_SLOTS = 48
"""Slots shown in the timeline."""
NO_SLOT, SILENT, SUCCESS, COLLISION = range(4)
SLOT_COLOURS = np.array(
    [to_rgb(c) for c in ("#f4f4f4", "#ffffff", "#2ca02c", "#d62728")], dtype=np.float64
)
"""RGB of a timeline cell: before the episode, no transmission, success, collision."""


class MultiAccessRenderer(StateRenderer):
    """Draws multiple-access envs as per-node slot timelines.

    Args:
        core: The multiple-access core (read only).
        num_envs: Number of environments the core holds.
    """

    core: MultiAccessCore

    def __init__(self, core: MultiAccessCore, num_envs: int) -> None:
        super().__init__(core, num_envs)
        nodes = core.num_nodes
        self._timeline = np.full((num_envs, nodes, WINDOW_SLOTS), NO_SLOT, dtype=np.int64)
        self._successes = np.zeros((num_envs, nodes), dtype=np.int64)
        self._collisions = np.zeros((num_envs, nodes), dtype=np.int64)
        self.canvas = BlitFigure()
        figure = self.canvas.figure
        animated = self.canvas.animated
        timeline_ax = figure.add_axes((0.2, 0.3, 0.5, 0.6))
        timeline_ax.set_title("MultiAccess-v0: last slots per node", fontsize=9)
        timeline_ax.set_xlabel("slot (newest right)", fontsize=8)
        timeline_ax.set_yticks([])
        timeline_ax.tick_params(labelsize=7)
        self._image = animated(
            timeline_ax.imshow(
                np.ones((nodes, WINDOW_SLOTS, 3)),
                aspect="auto",
                interpolation="nearest",
                extent=(-WINDOW_SLOTS + 0.5, 0.5, nodes - 0.5, -0.5),
            )
        )
        for row in range(nodes - 1):
            timeline_ax.axhline(row + 0.5, color="#bbbbbb", lw=0.5)
        self._names = [self.canvas.overlay_text(0.0, 0.0, 7, anchor="rm") for _ in range(nodes)]
        for row, name in enumerate(self._names):
            name.position_px = self.canvas.to_pixels(timeline_ax, -WINDOW_SLOTS - 0.5, row)
        bars_ax = figure.add_axes((0.74, 0.3, 0.22, 0.6))
        bars_ax.set_xlim(0.0, 1.0)
        bars_ax.set_ylim(nodes - 0.5, -0.5)
        bars_ax.set_yticks([])
        bars_ax.set_xlabel("throughput [packets/slot]", fontsize=8)
        bars_ax.tick_params(labelsize=7)
        self._bars = [animated(bar) for bar in bars_ax.barh(np.arange(nodes), np.zeros(nodes))]
        legend = "white: silent   green: success   red: collision"
        figure.text(0.2, 0.2, legend, fontsize=8)
        self._text = self.canvas.overlay_text(0.2, 0.14, 8, monospace=True)

    def reset(self, envs: NDArray[np.int64]) -> None:
        """``envs`` started new episodes: empty their timelines."""
        super().reset(envs)
        self._timeline[envs] = NO_SLOT
        self._successes[envs] = 0
        self._collisions[envs] = 0

    def record_step(self, envs: NDArray[np.int64], info: dict[str, NDArray[np.generic]]) -> None:
        """Append the slot ``envs`` just played to their timelines."""
        super().record_step(envs, info)
        successes, collisions = self.core.successes[envs], self.core.collisions[envs]
        slot = np.full(successes.shape, SILENT, dtype=np.int64)
        slot[successes > self._successes[envs]] = SUCCESS
        slot[collisions > self._collisions[envs]] = COLLISION
        self._successes[envs] = successes
        self._collisions[envs] = collisions
        self._timeline[envs] = np.concatenate([self._timeline[envs, :, 1:], slot[..., None]], -1)

    def _node_names(self, env: int) -> list[str]:
        core = self.core
        nodes = core.nodes
        names = [f"agent {a}" for a in range(core.num_agents)]
        for i in range(core.num_legacy):
            kind = int(nodes.kind[env, i])
            names.append(f"{KIND_NAMES[kind]} ch{int(nodes.channel[env, i])}" if kind else "")
        return names

    def frame(self, env: int) -> NDArray[np.uint8]:
        """Env ``env``'s recent slots and throughputs."""
        core = self.core
        self._image.set_data(SLOT_COLOURS[self._timeline[env]])
        for text, name in zip(self._names, self._node_names(env), strict=True):
            text.text = name
        slots = int(core.slot[env])
        throughput = core.successes[env] / max(slots, 1)
        for bar, value in zip(self._bars, throughput * core.node_mask[env], strict=True):
            bar.set_width(float(value))
        lines = [
            f"mix {MIX_NAMES[int(core.mix[env])]}, slot {slots} / {core.config['episode_slots']}"
        ]
        info = self.last_info[env]
        if info is not None:
            lines.append(
                f"sum throughput {float(info['sum_throughput']):.3f}, "
                f"Jain index {float(info['jain_index']):.3f}"
            )
        self._text.text = "\n".join(lines)
        return self.canvas.frame()
