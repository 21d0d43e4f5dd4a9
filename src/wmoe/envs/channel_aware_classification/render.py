"""Frames of ``wmoe/ChannelAwareClassification-v0``: each expert's distortion and the gate.

Static (drawn once): the axes, one row per expert. Per frame: the distortion of each expert's
link for the current sample, ``log(1 + sigma~_k / rms(z))`` (eq. 6; 0 is a perfect link) and
its link SNR [dB]; after a step, the expert the last sample went to and, for every expert,
whether it would have been right on what its link delivered.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from wmoe.classification.model import distortion_features
from wmoe.envs.channel_aware_classification.core import ClassificationCore
from wmoe.envs.rendering import BlitFigure, StateRenderer

DISTORTION_AXIS = 6.0  # full scale of the distortion axis [-]
SNR_AXIS_DB = (-100.0, 150.0)  # range of the SNR axis [dB]
CHOSEN_COLOUR = "#e07b00"


class ClassificationRenderer(StateRenderer):
    """Draws expert-selection envs as per-expert distortion and SNR bars.

    Args:
        core: The classification core (read only).
        num_envs: Number of environments the core holds.
    """

    core: ClassificationCore

    def __init__(self, core: ClassificationCore, num_envs: int) -> None:
        super().__init__(core, num_envs)
        k = core.num_experts
        rows = np.arange(k)
        self.canvas = BlitFigure()
        figure = self.canvas.figure
        animated = self.canvas.animated
        distortion_ax = figure.add_axes((0.12, 0.3, 0.45, 0.6))
        distortion_ax.set_title(
            "ChannelAwareClassification-v0: expert links", fontsize=9, loc="left", pad=14
        )
        distortion_ax.set_xlim(0.0, DISTORTION_AXIS)
        distortion_ax.set_ylim(k - 0.5, -0.5)
        distortion_ax.set_yticks(rows, [f"expert {i}" for i in rows])
        distortion_ax.set_xlabel("distortion log(1 + sigma~ / rms z)", fontsize=8)
        distortion_ax.tick_params(labelsize=7)
        bars = distortion_ax.barh(rows, np.zeros(k), color="#1f77b4")
        self._distortion_bars = [animated(bar) for bar in bars]
        snr_ax = figure.add_axes((0.62, 0.3, 0.2, 0.6))
        snr_ax.set_title("link SNR", fontsize=9)
        snr_ax.set_xlim(*SNR_AXIS_DB)
        snr_ax.set_ylim(k - 0.5, -0.5)
        snr_ax.set_yticks([])
        snr_ax.set_xlabel("[dB]", fontsize=8)
        snr_ax.tick_params(labelsize=7)
        bars = snr_ax.barh(rows, np.zeros(k), left=SNR_AXIS_DB[0], color="#2ca02c")
        self._snr_bars = [animated(bar) for bar in bars]
        verdict_ax = figure.add_axes((0.86, 0.3, 0.1, 0.6))
        verdict_ax.set_title("last\nsample", fontsize=8)
        verdict_ax.set_xlim(-1.0, 1.0)
        verdict_ax.set_ylim(k - 0.5, -0.5)
        verdict_ax.axis("off")
        self._verdicts = animated(verdict_ax.scatter(np.zeros(k), rows, s=40, marker="s"))
        (self._chosen,) = verdict_ax.plot([], [], "o", mfc="none", mec=CHOSEN_COLOUR, ms=12, mew=2)
        animated(self._chosen)
        legend = "last sample: green = expert right, red = wrong, orange ring = gate's choice"
        figure.text(0.12, 0.05, legend, fontsize=8)
        self._text = self.canvas.overlay_text(0.12, 0.2, 8, monospace=True)

    def frame(self, env: int) -> NDArray[np.uint8]:
        """Env ``env``'s links for the current sample and its last gate decision."""
        core = self.core
        distortion = distortion_features(core.sigma[env], core.model.feature_rms).numpy()
        snr_db = core.snr_db[env] + 20.0 * np.log10(np.maximum(core.amplitude[env], 1e-30))
        for bars, values in (
            (self._distortion_bars, np.minimum(distortion, DISTORTION_AXIS)),
            (self._snr_bars, np.clip(snr_db, *SNR_AXIS_DB) - SNR_AXIS_DB[0]),
        ):
            for bar, value in zip(bars, values, strict=True):
                bar.set_width(float(value))
        lines = [f"sample {int(core.steps[env])} / {core.config['episode_length']}"]
        info = self.last_info[env]
        if info is None:
            self._verdicts.set_visible(False)
            self._chosen.set_visible(False)
        else:
            chosen = int(info["expert"])
            self._verdicts.set_facecolor(
                np.where(
                    info["expert_correct"][:, None],
                    [0.17, 0.63, 0.17, 1.0],
                    [0.84, 0.15, 0.16, 1.0],
                ).tolist()
            )
            self._chosen.set_data([0.0], [chosen])
            self._verdicts.set_visible(True)
            self._chosen.set_visible(True)
            verdict = "right" if bool(info["correct"]) else "wrong"
            lines.append(
                f"last sample: class {int(info['label'])}, sent to expert {chosen}: {verdict} "
                f"({int(info['expert_correct'].sum())} of {core.num_experts} experts right)"
            )
        self._text.text = "\n".join(lines)
        return self.canvas.frame()
