"""The single and native vector environments of the suite, over one batched simulator core.

Every env family has a simulator core that holds the state of ``B`` environments as arrays
(no Gymnasium import) and a :class:`CoreBinding` that gives the core its spaces, validates and
decodes actions, and steps it. From the binding, :class:`CoreEnv` is the ``gym.Env`` (a batch
of one) and :class:`CoreVectorEnv` the native ``VectorEnv``. The vector env is equal to
``SyncVectorEnv`` over the single env for the same seeds: one ``numpy.random.Generator`` per
sub-env seeded as Gymnasium seeds a single env, ``reset`` with a seed list or
``options['reset_mask']``, the ``NEXT_STEP``, ``SAME_STEP`` and ``DISABLED`` autoreset modes,
and Gymnasium's vector info layout (``_key`` masks, ``final_obs``/``final_info``). A family
subclasses the two env classes only for their docstrings and family-specific extras (such as
``action_masks``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.utils.seeding import np_random
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import NDArray

from wmoe.config import ConfigSchema, markdown_table
from wmoe.envs.action_checks import check_batch
from wmoe.envs.heap import settle_heap
from wmoe.envs.rendering import RENDER_FPS, RENDER_MODES, StateRenderer, check_render_mode

# Rewards, terminated and truncated flags, and info arrays, one row per stepped env.
BatchStep = tuple[
    NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_], dict[str, NDArray[Any]]
]
_ENV0 = np.zeros(1, dtype=np.int64)
EXPERT_ACTION_KEY = "expert_action"
"""Info key of an expert's action (in the env's action form) for the step's observation.

Envs that know a good action put it here; :class:`~wmoe.agents.diffusion_sac.DiffusionSAC`
trains its diffusion model to generate it (the imitation term)."""


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


def with_config_table(doc: str | None, schema: type[ConfigSchema]) -> str | None:
    """An env docstring with the schema's config table at the end of its Arguments section.

    The table is generated from the schema, so the docstring never disagrees with it.
    """
    if doc is None:
        return None
    marker = "\n    ## Vectorized environment"
    if marker not in doc:
        return doc
    indent = "    "
    table = "\n".join(indent + line for line in markdown_table(schema).splitlines())
    section = f"\n{indent}Config keys (generated from the schema):\n\n{table}\n"
    return doc.replace(marker, section + marker, 1)


class CoreBinding(ABC):
    """Spaces, action decoding and stepping of one env family over its batched core.

    A subclass names its config schema (``config_schema``), builds its core in ``__init__``
    (stored as ``self.core``) and sets ``observation_space`` and ``action_space`` (those of
    one env). ``renderer_class`` draws its envs (``render_mode="rgb_array"``).

    Args:
        config: A config validated by ``config_schema`` (defaults merged with the overrides).
        batch_size: Number of environments the core holds.
    """

    config_schema: ClassVar[type[ConfigSchema]]
    renderer_class: ClassVar[type[StateRenderer]]
    renderer: StateRenderer | None = None
    core: Any
    observation_space: spaces.Space[Any]
    action_space: spaces.Space[Any]

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        self.config = config

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        """The family's default configuration (units in the key names)."""
        return cls.config_schema.defaults()

    @abstractmethod
    def step(
        self, envs: NDArray[np.int64], actions: Any, rngs: Sequence[np.random.Generator]
    ) -> BatchStep:
        """Validate and decode ``actions`` (one row per env of ``envs``) and step the core."""

    def reset(self, envs: NDArray[np.int64], rngs: Sequence[np.random.Generator]) -> None:
        """Start new episodes in ``envs``."""
        self.core.reset(envs, rngs)
        if self.renderer is not None:
            self.renderer.reset(envs)

    def start_rendering(self, num_envs: int) -> None:
        """Build the renderer (its static scene) and keep it informed of every step."""
        self.renderer = self.renderer_class(self.core, num_envs)

    def observations(self, envs: NDArray[np.int64]) -> NDArray[Any]:
        """Current observations of ``envs``."""
        observations: NDArray[Any] = self.core.observations(envs)
        return observations

    def reseeded(self, envs: NDArray[np.int64]) -> None:  # noqa: B027 (optional hook)
        """``envs`` got a new seed: forget any draws buffered from the old one (default: none)."""


class CoreEnv(gym.Env[NDArray[Any], Any]):
    """A single environment: a batch of one of its family's :class:`CoreBinding`.

    Args:
        config: Config overrides, deep-merged into :meth:`default_config` (unknown keys raise).
        render_mode: None, or ``"rgb_array"``: :meth:`render` returns an ``(H, W, 3)`` uint8
            frame of the current state.
    """

    binding_class: ClassVar[type[CoreBinding]]
    metadata: dict[str, Any] = {"render_modes": list(RENDER_MODES), "render_fps": RENDER_FPS}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "binding_class" in cls.__dict__:
            cls.__doc__ = with_config_table(cls.__doc__, cls.binding_class.config_schema)

    @classmethod
    def default_config(cls) -> dict[str, Any]:
        """Return the default configuration of the family."""
        return cls.binding_class.default_config()

    def __init__(
        self, config: dict[str, Any] | None = None, render_mode: str | None = None
    ) -> None:
        check_render_mode(render_mode, RENDER_MODES)
        self.render_mode = render_mode
        self.config = self.binding_class.config_schema.resolve(config)
        self.binding = self.binding_class(self.config, batch_size=1)
        if render_mode is not None:
            self.binding.start_rendering(1)
        self.action_space = self.binding.action_space
        self.observation_space = self.binding.observation_space
        self._needs_reset = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[Any], dict[str, Any]]:
        """Start an episode."""
        super().reset(seed=seed)
        if seed is not None:
            self.binding.reseeded(_ENV0)
        self.binding.reset(_ENV0, [self.np_random])
        self._needs_reset = False
        return self.binding.observations(_ENV0)[0], {}

    def step(self, action: Any) -> tuple[NDArray[Any], float, bool, bool, dict[str, Any]]:
        """Apply ``action`` and advance the simulator by one step."""
        if self._needs_reset:
            raise ResetNeeded("Cannot call env.step() before calling env.reset()")
        rewards, terminated, truncated, info = self.binding.step(
            _ENV0, np.asarray(action)[None], [self.np_random]
        )
        if self.binding.renderer is not None:
            self.binding.renderer.record_step(_ENV0, info)
        return (
            self.binding.observations(_ENV0)[0],
            float(rewards[0]),
            bool(terminated[0]),
            bool(truncated[0]),
            first_row_info(info),
        )

    def render(self) -> NDArray[np.uint8] | None:
        """The current state as an ``(H, W, 3)`` uint8 frame (None without a render mode)."""
        if self.binding.renderer is None:
            return None
        return self.binding.renderer.frame(0)


class CoreVectorEnv(VectorEnv[NDArray[Any], Any, Any]):
    """The native batched env of a family: one :class:`CoreBinding` for all sub-envs.

    Args:
        num_envs: Number of sub-environments.
        config: Config overrides, as for the single env; shared by all sub-envs.
        autoreset_mode: Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` or ``DISABLED``.
        render_mode: None, or ``"rgb_array"``: :meth:`render` returns a tuple of frames, one
            per sub-env (as ``SyncVectorEnv.render``), drawn on one shared figure.

    The first one built or unpickled in a process calls :func:`~wmoe.envs.heap.settle_heap`,
    so that its steps' megabyte temporaries are reused from glibc's heap rather than mapped
    and faulted in anew each step.
    """

    binding_class: ClassVar[type[CoreBinding]]
    metadata: dict[str, Any] = {
        "render_modes": list(RENDER_MODES),
        "render_fps": RENDER_FPS,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        num_envs: int,
        config: dict[str, Any] | None = None,
        autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ) -> None:
        check_render_mode(render_mode, RENDER_MODES)
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        settle_heap()
        self.render_mode = render_mode
        self.config = self.binding_class.config_schema.resolve(config)
        self.binding = self.binding_class(self.config, batch_size=num_envs)
        if render_mode is not None:
            self.binding.start_rendering(num_envs)
        self.num_envs = num_envs
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.single_observation_space = self.binding.observation_space
        self.single_action_space = self.binding.action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._generators: list[np.random.Generator | None] = [None] * num_envs
        self._all = np.arange(num_envs, dtype=np.int64)
        self._autoreset: NDArray[np.bool_] = np.zeros(num_envs, dtype=np.bool_)
        self._needs_reset = True

    def __setstate__(self, state: dict[str, Any]) -> None:
        settle_heap()  # unpickled in another process (a subprocess or Ray worker): settle it too
        self.__dict__.update(state)

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
            self.binding.reseeded(np.asarray(reseeded, dtype=np.int64))
        self.binding.reset(envs, self._rngs())
        self._autoreset[envs] = False
        self._needs_reset = False
        return self.binding.observations(self._all), {}

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
        if self._needs_reset:
            raise ResetNeeded("Cannot call env.step() before calling env.reset()")
        batch = check_batch(actions, self.num_envs, self.action_space.shape or ())
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
            step_rewards, step_terminated, step_truncated, step_info = self.binding.step(
                stepping, batch[stepping], rngs
            )
            if self.binding.renderer is not None:
                self.binding.renderer.record_step(stepping, step_info)
            rewards[stepping] = step_rewards
            terminated[stepping] = step_terminated
            truncated[stepping] = step_truncated
            infos = masked_info(step_info, stepping, self.num_envs)
        if resetting.any():
            self.binding.reset(self._all[resetting], rngs)
        observations = self.binding.observations(self._all)
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
            self.binding.reset(ended, rngs)
            observations = self.binding.observations(self._all)
        self._autoreset = done
        return observations, rewards, terminated, truncated, infos

    def render(self) -> tuple[NDArray[np.uint8], ...] | None:
        """One ``(H, W, 3)`` uint8 frame per sub-env (None without a render mode)."""
        if self.binding.renderer is None:
            return None
        return tuple(self.binding.renderer.frame(i) for i in range(self.num_envs))
