"""Native batched ``wmoe/MultiBSReception-v0``: one :class:`ReceptionCore` for all sub-envs.

It reproduces ``SyncVectorEnv`` over :class:`MultiBSReceptionEnv` exactly (observations,
rewards, flags and infos, including Gymnasium's ``_key`` info masks) for the same seeds and
autoreset mode, while computing every sub-env's step in one set of array operations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.utils.seeding import np_random
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import NDArray

from wmoe.config import merge_config
from wmoe.envs.multi_bs_reception.core import ReceptionCore, default_config
from wmoe.envs.multi_bs_reception.env import action_codec, observation_space


def _masked(
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


class MultiBSReceptionVectorEnv(VectorEnv[NDArray[np.float32], Any, Any]):
    """``num_envs`` reception environments stepped together (see :class:`MultiBSReceptionEnv`).

    Args:
        num_envs: Number of sub-environments.
        config: Config overrides, as for the single env; shared by all sub-envs.
        autoreset_mode: Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED``.
        render_mode: Must be None.
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int,
        config: dict[str, Any] | None = None,
        autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None:
            raise ValueError(
                f"render_mode={render_mode!r} is not supported; this env has no rendering"
            )
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.num_envs = num_envs
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.config = merge_config(default_config(), config)
        self._core = ReceptionCore(self.config, batch_size=num_envs)
        self._codec = action_codec(self._core)
        self.single_action_space = self._codec.space
        self.single_observation_space = observation_space(self._core)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._generators: list[np.random.Generator | None] = [None] * num_envs
        self._all = np.arange(num_envs, dtype=np.int64)
        self._autoreset: NDArray[np.bool_] = np.zeros(num_envs, dtype=np.bool_)

    @property
    def core(self) -> ReceptionCore:
        """The batched simulator."""
        return self._core

    def _rngs(self) -> list[np.random.Generator]:
        for i, generator in enumerate(self._generators):
            if generator is None:
                self._generators[i] = np_random()[0]
        return [g for g in self._generators if g is not None]

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.float32], dict[str, Any]]:
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
        for i in envs:
            if seeds[i] is not None:
                self._generators[i] = np_random(seeds[i])[0]
                self._core.forget_draws([i])
        self._core.reset(envs, self._rngs())
        self._autoreset[envs] = False
        return self._core.observations(self._all), {}

    def step(
        self, actions: Any
    ) -> tuple[
        NDArray[np.float32],
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
        if len(stepping):
            batch = np.asarray(actions)
            set_index, precoder = self._codec.decode(batch[stepping], len(stepping))
            step_rewards, step_truncated, step_info = self._core.step(
                stepping, set_index, precoder, rngs
            )
            rewards[stepping] = step_rewards
            truncated[stepping] = step_truncated
            infos = _masked(step_info, stepping, self.num_envs)
        if resetting.any():
            self._core.reset(self._all[resetting], rngs)
        observations = self._core.observations(self._all)
        if self.autoreset_mode == AutoresetMode.SAME_STEP and truncated.any():
            ended = self._all[truncated]
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in ended:
                final_obs[i] = observations[i].copy()
            rows = np.searchsorted(stepping, ended)
            final_info = _masked({k: v[rows] for k, v in step_info.items()}, ended, self.num_envs)
            for key in step_info:
                infos[f"_{key}"][ended] = False
                infos[key][ended] = 0
                if not infos[f"_{key}"].any():
                    del infos[key], infos[f"_{key}"]
            infos["final_obs"], infos["_final_obs"] = final_obs, truncated.copy()
            infos["final_info"], infos["_final_info"] = final_info, truncated.copy()
            self._core.reset(ended, rngs)
            observations = self._core.observations(self._all)
        self._autoreset = terminated | truncated
        return observations, rewards, terminated, truncated, infos

    def action_masks(self) -> NDArray[np.bool_]:
        """(num_envs, mask size) valid actions for MaskablePPO."""
        return self._codec.masks(self._core.allowed_sets(self._core.user[self._all]))
