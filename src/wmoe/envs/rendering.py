"""The ``rgb_array`` rendering machinery shared by every env family.

A family's renderer (``<family>/render.py``) draws the static scene of its env once on a
:class:`BlitFigure` (a matplotlib figure on the Agg canvas, never a GUI backend) and marks
the artists that change with the state as *animated*. Each frame restores the cached
background, updates and draws only the animated artists, and copies the canvas into an
``(H, W, 3)`` uint8 array. Text that changes every frame is an :class:`OverlayText`, drawn
with Pillow on the copied frame: matplotlib lays out and rasterises every glyph of a text
artist anew on each draw, which cost most of a frame. The renderer reads the simulator
core's state and remembers the info of each env's last step (:class:`StateRenderer`); it
never changes the core.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

RENDER_MODES = ("rgb_array",)
"""The render modes of every env of the suite."""
RENDER_FPS = 4
"""Frames per second of recorded videos (``metadata['render_fps']``): one step per frame."""
FRAME_SIZE_PX = (640, 480)
"""(width, height) of a frame [px]; both multiples of 16, as video encoders prefer."""
DPI = 100

A = TypeVar("A", bound=Artist)


class OverlayText:
    """A text drawn over each frame with Pillow, in matplotlib's DejaVu fonts.

    Args:
        position_px: Where its anchor is, in pixels from the frame's top-left corner.
        fontsize_pt: Font size [pt] at the figure's DPI.
        monospace: DejaVu Sans Mono instead of DejaVu Sans.
        anchor: Pillow's text anchor, e.g. ``"la"`` (left, top) or ``"md"`` (middle, bottom).

    Attributes:
        text: What to write (may hold newlines); empty or ``visible = False`` draws nothing.
    """

    def __init__(
        self,
        position_px: tuple[float, float],
        fontsize_pt: float,
        monospace: bool = False,
        anchor: str = "la",
    ) -> None:
        family = "monospace" if monospace else "sans-serif"
        path = font_manager.findfont(font_manager.FontProperties(family=[family]))
        self.font = ImageFont.truetype(path, round(fontsize_pt * DPI / 72.0))
        self.position_px = position_px
        self.anchor = anchor
        self.text = ""
        self.visible = True

    def draw(self, canvas: ImageDraw.ImageDraw) -> None:
        """Write the text on ``canvas`` (black)."""
        if self.visible and self.text:
            canvas.multiline_text(
                self.position_px, self.text, fill=(0, 0, 0), font=self.font, anchor=self.anchor
            )


class BlitFigure:
    """A figure whose static artists are drawn once and whose animated artists every frame.

    Args:
        size_px: (width, height) of the frame [px].
    """

    def __init__(self, size_px: tuple[int, int] = FRAME_SIZE_PX) -> None:
        width, height = size_px
        self.figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self._animated: list[Artist] = []
        self._overlays: list[OverlayText] = []
        self._background: Any = None

    def animated(self, artist: A) -> A:
        """Mark ``artist`` as state (left out of the background, drawn every frame)."""
        artist.set_animated(True)
        self._animated.append(artist)
        return artist

    def overlay_text(
        self, x: float, y: float, fontsize_pt: float, monospace: bool = False, anchor: str = "la"
    ) -> OverlayText:
        """A text redrawn every frame at figure fraction ``(x, y)`` (from the bottom left)."""
        width, height = self.canvas.get_width_height()
        text = OverlayText((x * width, (1.0 - y) * height), fontsize_pt, monospace, anchor)
        self._overlays.append(text)
        return text

    def to_pixels(self, ax: Axes, x: float, y: float) -> tuple[float, float]:
        """Pixels from the frame's top-left corner of the point ``(x, y)`` of ``ax``'s data."""
        height = self.canvas.get_width_height()[1]
        px, py = ax.transData.transform((x, y))
        return float(px), float(height - py)

    def frame(self) -> NDArray[np.uint8]:
        """The background with the animated artists in their current state, ``(H, W, 3)``."""
        if self._background is None:
            self.canvas.draw()  # the static artists only: animated ones are skipped
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        rgb = np.asarray(self.canvas.buffer_rgba())[..., :3]
        if not self._overlays:
            return rgb.copy()
        image = Image.fromarray(np.ascontiguousarray(rgb))
        draw = ImageDraw.Draw(image)
        for text in self._overlays:
            text.draw(draw)
        return np.array(image)


class StateRenderer(ABC):
    """Draws any env of a batched simulator core as an RGB frame.

    It keeps each env's info of its last step (None after a reset), since what an action did
    is gone from the core's state once the core moved on.

    Args:
        core: The family's simulator core (read only).
        num_envs: Number of environments the core holds.
    """

    def __init__(self, core: Any, num_envs: int) -> None:
        self.core = core
        self.last_info: list[dict[str, Any] | None] = [None] * num_envs

    def reset(self, envs: NDArray[np.int64]) -> None:
        """``envs`` started new episodes: forget their last steps."""
        for env in envs:
            self.last_info[int(env)] = None

    def record_step(self, envs: NDArray[np.int64], info: dict[str, NDArray[Any]]) -> None:
        """Remember the info of the step ``envs`` just took (rows in the order of ``envs``)."""
        for row, env in enumerate(envs):
            self.last_info[int(env)] = {key: np.copy(value[row]) for key, value in info.items()}

    @abstractmethod
    def frame(self, env: int) -> NDArray[np.uint8]:
        """Env ``env``'s current state as an ``(H, W, 3)`` uint8 image."""


def check_render_mode(render_mode: str | None, supported: Sequence[str] = ()) -> None:
    """Raise unless ``render_mode`` is None or one of ``supported`` (default: none).

    Raises:
        ValueError: Naming the mode and the supported ones.
    """
    if render_mode is not None and render_mode not in supported:
        modes = ", ".join(repr(mode) for mode in supported) or "none"
        raise ValueError(
            f"render_mode={render_mode!r} is not supported; supported: {modes} (or None); "
            "record videos with render_mode='rgb_array' and gymnasium.wrappers.RecordVideo"
        )
