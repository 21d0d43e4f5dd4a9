"""Action forms of the satellite env: one multi-task decision in three forms.

The decision: each beam's power (a fraction of its cap), each beam's sub-band (colour
``0..C-1``, or ``C`` for all sub-bands: full reuse) and the precoder of the codebook
:data:`~.core.PRECODERS`.

* ``continuous`` (SAC, TD3, diffusion): ``Box(-1, 1, (K + K (C + 1) + 6,))``: ``K`` powers
  (``(a + 1) / 2`` of the cap), then ``C + 1`` colour scores per beam (argmax), then 6
  precoder scores (argmax);
* ``multi_discrete`` (PPO, A2C): ``MultiDiscrete([L] * K + [C + 1] * K + [6])``: a power level
  ``l / (L - 1)`` of the cap per beam, a colour per beam, the precoder;
* ``discrete`` (PPO, DQN): ``Discrete(6 * 3 * 4)``, index
  ``(precoder * 3 + reuse) * 4 + level``: a precoder, a reuse pattern (0: full reuse, 1: the
  four-colour cell map, 2: its two-colour reduction) and an equal power per beam of
  ``(1/4, 1/2, 3/4, 1)`` of the equal share ``P_total / K``.

With ``rate_splitting`` each form also sets the common stream's share ``f_c`` of the power
budget: one more score (``(a + 1) / 2``) at the end of ``continuous``, one more level
(``l / (L - 1)``) at the end of ``multi_discrete``, and ``Discrete(72 * 3)`` for
``discrete``, index ``common * 72 + scheme`` with ``f_c`` of :data:`COMMON_LEVELS`.

Invalid actions raise :class:`~wmoe.envs.action_checks.InvalidActionError`; nothing is clipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.envs.action_checks import check_integers, check_scores
from wmoe.envs.satellite_beamforming.core import PRECODERS, Decision

REUSE_PATTERNS = ("full_reuse", "four_colour", "two_colour")
"""Reuse patterns of the ``discrete`` form."""
SHARE_LEVELS = (0.25, 0.5, 0.75, 1.0)
"""Equal per-beam powers of the ``discrete`` form, as fractions of ``P_total / K``."""
COMMON_LEVELS = (0.0, 0.1, 0.25)
"""Common-stream shares of the power budget of the ``discrete`` form with rate splitting."""


class ActionCodec:
    """Translate batched actions of one form to :class:`Decision` and back.

    Args:
        action_type: ``"continuous"``, ``"multi_discrete"`` or ``"discrete"``.
        num_users: Beams ``K``.
        num_subbands: Sub-bands ``C``.
        power_levels: Levels ``L`` of ``multi_discrete``.
        beam_power_cap: Cap of a beam over the equal share (``discrete`` levels are shares).
        rate_splitting: Whether the action also sets the common stream's power share.
    """

    def __init__(
        self,
        action_type: str,
        num_users: int,
        num_subbands: int,
        power_levels: int,
        beam_power_cap: float,
        rate_splitting: bool = False,
    ) -> None:
        self.action_type = action_type
        self.k, self.c, self.levels = num_users, num_subbands, power_levels
        self.cap = float(beam_power_cap)
        self.num_precoders = len(PRECODERS)
        self.rate_splitting = rate_splitting
        k, colours, common = num_users, num_subbands + 1, int(rate_splitting)
        self.space: spaces.Space[Any]
        self.schemes = self.num_precoders * len(REUSE_PATTERNS) * len(SHARE_LEVELS)
        if action_type == "continuous":
            width = k + k * colours + self.num_precoders + common
            self.space = spaces.Box(-1.0, 1.0, (width,), dtype=np.float32)
            self.expected = f"{width} finite floats in [-1, 1]"
        elif action_type == "multi_discrete":
            self.nvec = np.array(
                [power_levels] * k + [colours] * k + [self.num_precoders] + [power_levels] * common
            )
            self.space = spaces.MultiDiscrete(self.nvec)
            self.expected = f"{len(self.nvec)} integers below {self.nvec.tolist()}"
        else:
            self.n = self.schemes * (len(COMMON_LEVELS) if rate_splitting else 1)
            self.space = spaces.Discrete(self.n)
            self.expected = f"an integer in [0, {self.n - 1}]"
        self.shape: tuple[int, ...] = tuple(self.space.shape or ())

    def decode(self, actions: Any, cell_colours: NDArray[np.int64]) -> Decision:
        """Validate a batch of actions and return the decisions.

        Args:
            actions: Actions stacked along a leading env axis.
            cell_colours: Each user's four-colour cell colour, ``(n, K)`` (``discrete`` only).

        Raises:
            InvalidActionError: Naming the offending value and what was expected.
        """
        n, k, colours = len(cell_colours), self.k, self.c + 1
        shape = (n, *self.shape)
        if self.action_type == "continuous":
            scores = check_scores(actions, shape, self.expected).astype(np.float64)
            colour_scores = scores[:, k : k + k * colours].reshape(n, k, colours)
            end = k + k * colours + self.num_precoders
            return Decision(
                power_fraction=(scores[:, :k] + 1.0) / 2.0,
                colour=np.argmax(colour_scores, axis=-1).astype(np.int64),
                precoder=np.argmax(scores[:, k + k * colours : end], axis=-1).astype(np.int64),
                common_fraction=(scores[:, end] + 1.0) / 2.0 if self.rate_splitting else None,
            )
        if self.action_type == "multi_discrete":
            chosen = check_integers(actions, shape, self.nvec, self.expected)
            return Decision(
                power_fraction=chosen[:, :k] / (self.levels - 1),
                colour=chosen[:, k : 2 * k],
                precoder=chosen[:, 2 * k],
                common_fraction=(
                    chosen[:, 2 * k + 1] / (self.levels - 1) if self.rate_splitting else None
                ),
            )
        index = check_integers(actions, shape, self.n, self.expected)
        common_level, index = np.divmod(index, self.schemes)
        rest, level = np.divmod(index, len(SHARE_LEVELS))
        precoder, reuse = np.divmod(rest, len(REUSE_PATTERNS))
        colour = np.where(
            (reuse == 0)[:, None],
            self.c,
            np.where((reuse == 1)[:, None], cell_colours, cell_colours % 2),
        )
        share = np.asarray(SHARE_LEVELS)[level]
        return Decision(
            power_fraction=np.repeat((share / self.cap)[:, None], k, axis=1),
            colour=colour.astype(np.int64),
            precoder=precoder,
            common_fraction=(
                np.asarray(COMMON_LEVELS)[common_level] if self.rate_splitting else None
            ),
        )

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[Any]:
        """``n`` uniformly drawn actions of this form, drawn from ``rng``."""
        if self.action_type == "continuous":
            return rng.uniform(-1.0, 1.0, (n, *self.shape)).astype(np.float32)
        if self.action_type == "multi_discrete":
            return rng.integers(self.nvec, size=(n, len(self.nvec)))
        return rng.integers(self.n, size=n)

    def encode(self, decision: Decision, cell_colours: NDArray[np.int64]) -> NDArray[Any]:
        """The batched action of this form closest to ``decision``.

        Exact for ``continuous``; ``multi_discrete`` rounds each power to the nearest level;
        ``discrete`` keeps the precoder, takes the reuse pattern the colours match (else the
        four-colour map) and the share level nearest to the mean power.
        """
        n, k = len(cell_colours), self.k
        common = decision.common_fraction
        common_parts = (
            [] if not self.rate_splitting else [np.zeros(n) if common is None else common]
        )
        if self.action_type == "continuous":
            colour_scores = -np.ones((n, k, self.c + 1))
            np.put_along_axis(colour_scores, decision.colour[..., None], 1.0, axis=-1)
            precoder = -np.ones((n, self.num_precoders))
            precoder[np.arange(n), decision.precoder] = 1.0
            powers = 2.0 * decision.power_fraction - 1.0
            scores = [powers, colour_scores.reshape(n, -1), precoder]
            scores += [2.0 * part[:, None] - 1.0 for part in common_parts]
            return np.concatenate(scores, axis=1).astype(np.float32)
        if self.action_type == "multi_discrete":
            levels = np.rint(decision.power_fraction * (self.levels - 1)).astype(np.int64)
            parts: list[NDArray[np.int64]] = [levels, decision.colour, decision.precoder[:, None]]
            parts += [
                np.rint(part[:, None] * (self.levels - 1)).astype(np.int64) for part in common_parts
            ]
            return np.concatenate(parts, axis=1)
        full = np.all(decision.colour == self.c, axis=1)
        two = np.all(decision.colour == cell_colours % 2, axis=1)
        reuse = np.where(full, 0, np.where(two & ~full, 2, 1))
        share = decision.power_fraction.mean(1) * self.cap
        level = np.argmin(np.abs(share[:, None] - np.asarray(SHARE_LEVELS)), axis=1)
        scheme = ((decision.precoder * len(REUSE_PATTERNS) + reuse) * len(SHARE_LEVELS)) + level
        for part in common_parts:
            nearest = np.argmin(np.abs(part[:, None] - np.asarray(COMMON_LEVELS)), axis=1)
            scheme = scheme + nearest * self.schemes
        return scheme
