"""Action forms of the reception environment: spaces, validation, decoding and masks.

One decision, a cooperative BS set and (unless the env applies the expert precoder) a
codeword, in the forms each algorithm family needs:

* ``discrete``: ``Discrete(num_sets * num_codewords)``, index ``set * num_codewords + codeword``
  (``Discrete(num_sets)`` in expert mode) — PPO, A2C, DQN, MaskablePPO;
* ``multi_discrete``: ``MultiDiscrete([num_sets, num_codewords])`` (``[num_sets]`` in expert
  mode) — PPO, MaskablePPO;
* ``continuous``: ``Box(-1, 1, (num_bs + num_codewords,))`` scores (``(num_bs,)`` in expert
  mode); the N highest BS scores form the set (ties to the lower BS index) and the highest
  codeword score picks the codeword — SAC, TD3, diffusion policies.

Invalid actions raise :class:`InvalidActionError`; nothing is clipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.envs.action_checks import InvalidActionError, check_integers, check_scores

__all__ = ["ActionCodec", "InvalidActionError"]


class ActionCodec:
    """Translate batched actions of one form to (set index, codeword index) pairs.

    Args:
        action_type: ``"discrete"``, ``"multi_discrete"`` or ``"continuous"``.
        bs_sets: (num_sets, N) BS indices of every cooperative set, in lexicographic order.
        num_bs: Number of base stations U.
        num_codewords: Codebook size.
        agent_picks_precoder: False when the env applies the expert precoder.
        set_index_of: Maps rows of N distinct BS indices to their set index.
    """

    def __init__(
        self,
        action_type: str,
        bs_sets: NDArray[np.int64],
        num_bs: int,
        num_codewords: int,
        agent_picks_precoder: bool,
        set_index_of: Callable[[NDArray[np.int64]], NDArray[np.int64]],
    ) -> None:
        self.action_type = action_type
        self.bs_sets = bs_sets
        self.num_sets = len(bs_sets)
        self.set_size = bs_sets.shape[1]
        self.num_bs = num_bs
        self.num_codewords = num_codewords
        self.agent_picks_precoder = agent_picks_precoder
        self._set_index_of = set_index_of
        self.space = self._single_space()
        self.shape: tuple[int, ...] = tuple(self.space.shape or ())
        if isinstance(self.space, spaces.Discrete):
            self._high = np.asarray(self.space.n)
        elif isinstance(self.space, spaces.MultiDiscrete):
            self._high = np.asarray(self.space.nvec)

    def _single_space(self) -> spaces.Space[Any]:
        choices = self.num_codewords if self.agent_picks_precoder else 1
        if self.action_type == "discrete":
            return spaces.Discrete(self.num_sets * choices)
        if self.action_type == "multi_discrete":
            nvec = (
                [self.num_sets, self.num_codewords]
                if self.agent_picks_precoder
                else [self.num_sets]
            )
            return spaces.MultiDiscrete(nvec)
        width = self.num_bs + (self.num_codewords if self.agent_picks_precoder else 0)
        return spaces.Box(-1.0, 1.0, shape=(width,), dtype=np.float32)

    def _expected(self) -> str:
        space = self.space
        if isinstance(space, spaces.Discrete):
            return f"an integer in [0, {int(space.n) - 1}]"
        if isinstance(space, spaces.MultiDiscrete):
            return f"integers of shape {space.nvec.shape} below {space.nvec.tolist()}"
        return f"finite floats in [-1, 1] of shape {space.shape}"

    def decode(
        self, actions: Any, batch_size: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
        """Validate a batch of actions and return (set index, codeword or None) per env.

        Args:
            actions: ``batch_size`` actions stacked along a leading axis.
            batch_size: Number of envs.

        Raises:
            InvalidActionError: Naming the offending value and what was expected.
        """
        shape = (batch_size, *self.shape)
        if self.action_type == "continuous":
            return self._decode_scores(check_scores(actions, shape, self._expected()))
        array = check_integers(actions, shape, self._high, self._expected())
        if self.action_type == "discrete":
            if not self.agent_picks_precoder:
                return array, None
            set_index, codeword = np.divmod(array, self.num_codewords)
            return set_index, codeword
        return array[:, 0], (array[:, 1] if self.agent_picks_precoder else None)

    def _decode_scores(
        self, array: NDArray[Any]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
        bs_scores = array[:, : self.num_bs]
        chosen = np.argsort(-bs_scores, axis=1, kind="stable")[:, : self.set_size]
        set_index = self._set_index_of(chosen)
        if not self.agent_picks_precoder:
            return set_index, None
        return set_index, np.argmax(array[:, self.num_bs :], axis=1)

    def masks(self, allowed_sets: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Return MaskablePPO action masks (B, mask_size) from the allowed sets (B, num_sets).

        Raises:
            InvalidActionError: For continuous actions, which have no mask.
        """
        batch = len(allowed_sets)
        if self.action_type == "continuous":
            raise InvalidActionError(
                "action masks exist only for discrete and multi_discrete actions"
            )
        if self.action_type == "discrete":
            if not self.agent_picks_precoder:
                return allowed_sets
            return np.repeat(allowed_sets, self.num_codewords, axis=1)
        if not self.agent_picks_precoder:
            return allowed_sets
        return np.concatenate(
            [allowed_sets, np.ones((batch, self.num_codewords), dtype=bool)], axis=1
        )

    def encode(self, set_index: NDArray[np.int64], codeword: NDArray[np.int64]) -> NDArray[Any]:
        """Return the batched action of this form that chooses ``set_index`` and ``codeword``.

        Args:
            set_index: (B,) cooperative set indices.
            codeword: (B,) codewords (ignored in expert mode).
        """
        if self.action_type == "discrete":
            return (
                set_index * self.num_codewords + codeword
                if self.agent_picks_precoder
                else set_index
            )
        if self.action_type == "multi_discrete":
            columns = [set_index, codeword] if self.agent_picks_precoder else [set_index]
            return np.stack(columns, axis=1)
        batch = len(set_index)
        scores = -np.ones((batch, *self.shape), dtype=np.float32)
        rows = np.arange(batch)[:, None]
        scores[rows, self.bs_sets[set_index]] = 1.0
        if self.agent_picks_precoder:
            scores[np.arange(batch), self.num_bs + codeword] = 1.0
        return scores
