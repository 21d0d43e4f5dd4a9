"""The shared machinery of the suite's native batched environments.

A native vector env steps all sub-envs through one batched simulator core. This base class
does everything that makes it equal to ``SyncVectorEnv`` over the single env for the same
seeds: one ``numpy.random.Generator`` per sub-env seeded as Gymnasium seeds a single env,
``reset`` with a seed list or ``options['reset_mask']``, the ``NEXT_STEP``, ``SAME_STEP`` and
``DISABLED`` autoreset modes, and Gymnasium's vector info layout (``_key`` masks,
``final_obs``/``final_info``). A subclass supplies the batched reset, step and observation.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils.seeding import np_random
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import NDArray

StepResult = tuple[
    NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_], dict[str, NDArray[Any]]
]


def masked_info(
    info: dict[str, NDArray[Any]], rows: NDArray[np.int64], num_envs: int
) -> dict[str, Any]:
    """Scatter per-row info arrays into Gymnasium's vector info layout with ``_key`` masks."""
    out: dict[str, Any] = {}
    present = np.zeros(num_envs, dtype=np.bool_)
    present[rows] = True
    for key, values in info.items():
        full = np.zeros((num_envs,) + values.shape[1:], dtype=values.dtype)
        full[rows] = values
        out[key] = full
        out[f"_{key}"] = present.copy()
    return out


def first_row_info(info: dict[str, NDArray[Any]]) -> dict[str, Any]:
    """A single env's info from a batch-of-one core's info arrays.

    NumPy bools become Python bools, which ``SyncVectorEnv`` stacks into bool arrays as the
    native vector env does (it stacks ``numpy.bool_`` values into object arrays).
    """
    return {
        key: bool(value[0]) if value.dtype == np.bool_ and value.ndim == 1 else value[0]
        for key, value in info.items()
    }


def check_vector_args(num_envs: int, render_mode: str | None) -> None:
    """Raise for a render mode (none is supported) or fewer than one sub-env."""
    if render_mode is not None:
        raise ValueError(f"render_mode={render_mode!r} is not supported; this env has no rendering")
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")


class CoreVectorEnv(VectorEnv[NDArray[Any], Any, Any]):
    """Base of a native batched env; subclasses implement the ``_..._envs`` hooks.

    Args:
        num_envs: Number of sub-environments.
        single_observation_space: Observation space of one sub-env.
        single_action_space: Action space of one sub-env.
        autoreset_mode: Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED``.
        render_mode: Must be None.
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int,
        single_observation_space: spaces.Space[Any],
        single_action_space: spaces.Space[Any],
        autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ) -> None:
        check_vector_args(num_envs, render_mode)
        self.num_envs = num_envs
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.single_observation_space = single_observation_space
        self.single_action_space = single_action_space
        self.observation_space = batch_space(single_observation_space, num_envs)
        self.action_space = batch_space(single_action_space, num_envs)
        self._generators: list[np.random.Generator | None] = [None] * num_envs
        self._all = np.arange(num_envs, dtype=np.int64)
        self._autoreset: NDArray[np.bool_] = np.zeros(num_envs, dtype=np.bool_)

    @abstractmethod
    def _reset_envs(self, envs: NDArray[np.int64], rngs: list[np.random.Generator]) -> None:
        """Start a new episode in sub-envs ``envs``."""

    @abstractmethod
    def _step_envs(
        self, envs: NDArray[np.int64], actions: NDArray[Any], rngs: list[np.random.Generator]
    ) -> StepResult:
        """Step sub-envs ``envs`` with their rows of the batched action.

        Returns:
            Rewards, terminated and truncated flags, and info arrays, one row per env.
        """

    @abstractmethod
    def _observations(self) -> NDArray[Any]:
        """Current observations of all sub-envs."""

    def _reseeded(self, envs: NDArray[np.int64]) -> None:
        """Hook: sub-envs ``envs`` got a new seed (forget draws buffered from the old one)."""

    def _rngs(self) -> list[np.random.Generator]:
        for i, generator in enumerate(self._generators):
            if generator is None:
                self._generators[i] = np_random()[0]
        return [g for g in self._generators if g is not None]

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[Any], dict[str, Any]]:
        """Reset all sub-envs, or those of ``options['reset_mask']``; ``seed`` as SyncVectorEnv."""
        if seed is None:
            seeds: list[int | None] = [None] * self.num_envs
        elif isinstance(seed, int):
            seeds = [seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
        if len(seeds) != self.num_envs:
            raise ValueError(
                f"got {len(seeds)} seeds for num_envs={self.num_envs}; pass one per sub-env"
            )
        mask: NDArray[np.bool_] = np.ones(self.num_envs, dtype=np.bool_)
        if options is not None and "reset_mask" in options:
            mask = np.asarray(options["reset_mask"], dtype=np.bool_)
            if mask.shape != (self.num_envs,) or not mask.any():
                raise ValueError(
                    f"options['reset_mask'] must be a bool array of shape ({self.num_envs},) "
                    "with at least one True"
                )
        envs = self._all[mask]
        reseeded = [i for i in envs if seeds[i] is not None]
        for i in reseeded:
            self._generators[i] = np_random(seeds[i])[0]
        if reseeded:
            self._reseeded(np.asarray(reseeded, dtype=np.int64))
        self._reset_envs(envs, self._rngs())
        self._autoreset[envs] = False
        return self._observations(), {}

    def step(
        self, actions: Any
    ) -> tuple[
        NDArray[Any],
        NDArray[np.float64],
        NDArray[np.bool_],
        NDArray[np.bool_],
        dict[str, Any],
    ]:
        """Step every sub-env; autoreset as ``autoreset_mode`` says."""
        rngs = self._rngs()
        rewards = np.zeros(self.num_envs, dtype=np.float64)
        terminated = np.zeros(self.num_envs, dtype=np.bool_)
        truncated = np.zeros(self.num_envs, dtype=np.bool_)
        resetting = (
            self._autoreset.copy()
            if self.autoreset_mode == AutoresetMode.NEXT_STEP
            else np.zeros(self.num_envs, dtype=np.bool_)
        )
        stepping = self._all[~resetting]
        infos: dict[str, Any] = {}
        step_info: dict[str, NDArray[Any]] = {}
        if len(stepping):
            batch = np.asarray(actions)
            step_rewards, step_terminated, step_truncated, step_info = self._step_envs(
                stepping, batch[stepping], rngs
            )
            rewards[stepping] = step_rewards
            terminated[stepping] = step_terminated
            truncated[stepping] = step_truncated
            infos = masked_info(step_info, stepping, self.num_envs)
        if resetting.any():
            self._reset_envs(self._all[resetting], rngs)
        observations = self._observations()
        done = terminated | truncated
        if self.autoreset_mode == AutoresetMode.SAME_STEP and done.any():
            ended = self._all[done]
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in ended:
                final_obs[i] = observations[i].copy()
            rows = np.searchsorted(stepping, ended)
            final_info = masked_info(
                {k: v[rows] for k, v in step_info.items()}, ended, self.num_envs
            )
            for key in step_info:
                infos[f"_{key}"][ended] = False
                infos[key][ended] = 0
                if not infos[f"_{key}"].any():
                    del infos[key], infos[f"_{key}"]
            infos["final_obs"], infos["_final_obs"] = final_obs, done.copy()
            infos["final_info"], infos["_final_info"] = final_info, done.copy()
            self._reset_envs(ended, rngs)
            observations = self._observations()
        self._autoreset = done
        return observations, rewards, terminated, truncated, infos
