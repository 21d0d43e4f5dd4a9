"""Stable-Baselines3 on Gymnasium 1.x vector envs (e.g. the native batched wmoe envs).

SB3's :class:`~stable_baselines3.common.vec_env.VecEnv` API differs from Gymnasium's
:class:`~gymnasium.vector.VectorEnv` in three ways that matter here:

* ``reset()`` returns observations only; seeds and options are set beforehand with
  :meth:`VecEnv.seed` / :meth:`VecEnv.set_options` and used once.
* ``step()`` returns ``(obs, rewards, dones, infos)`` with ``dones = terminated | truncated``
  and ``infos`` a list of one dict per sub-env, not Gymnasium's dict of arrays with ``_key``
  masks.
* A finished sub-env is reset within the same step: the returned observation is the first
  of the next episode, the last one is in ``infos[i]["terminal_observation"]`` and
  ``infos[i]["TimeLimit.truncated"]`` says whether the episode was cut short (PPO/A2C/SAC
  bootstrap from the terminal observation then).

:class:`GymnasiumVectorEnvAdapter` maps one onto the other for a vector env built with
``autoreset_mode=AutoresetMode.SAME_STEP``; :func:`make_sb3_vec_env` builds the adapter over a
registered env's native ``vector_entry_point`` (or a ``DummyVecEnv`` when there is none that
takes ``autoreset_mode``).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import VectorizeMode, load_env_creator
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv, VectorEnv
from stable_baselines3.common.env_util import is_wrapped
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecMonitor
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

__all__ = ["GymnasiumVectorEnvAdapter", "make_sb3_vec_env", "vector_info_to_list"]

# Keys Gymnasium's SAME_STEP autoreset adds next to the sub-envs' own infos.
_FINAL_KEYS = frozenset({"final_obs", "_final_obs", "final_info", "_final_info"})
# Attributes whose per-env value is the vector env's ``single_<name>``.
_SINGLE_SPACES = frozenset({"observation_space", "action_space"})


def _env_info(
    infos: Mapping[str, Any], index: int, num_envs: int, skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Sub-env ``index``'s info dict from Gymnasium's vector info layout.

    A key is kept when its ``_key`` mask is True for ``index`` (or when it has no mask).
    Nested dicts are converted recursively; arrays with a leading ``num_envs`` axis give their
    row ``index`` (a NumPy scalar, an array copy or, for object arrays, the stored object).
    """
    out: dict[str, Any] = {}
    for key, value in infos.items():
        if key in skip or (key.startswith("_") and key[1:] in infos):
            continue
        mask = infos.get(f"_{key}")
        if mask is not None and not bool(mask[index]):
            continue
        if isinstance(value, Mapping):
            out[key] = _env_info(value, index, num_envs)
        elif isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == num_envs:
            item = value[index]
            out[key] = item.copy() if isinstance(item, np.ndarray) else item
        else:
            out[key] = value
    return out


def vector_info_to_list(infos: Mapping[str, Any], num_envs: int) -> list[dict[str, Any]]:
    """Split Gymnasium's vector ``infos`` (dict of arrays with ``_key`` masks) per sub-env.

    Args:
        infos: The info dict of a Gymnasium vector env's ``reset`` or ``step``.
        num_envs: Number of sub-environments.

    Returns:
        One dict per sub-env holding the keys whose mask is True for it.
    """
    return [_env_info(infos, i, num_envs) for i in range(num_envs)]


def _autoreset_mode(vector_env: VectorEnv[Any, Any, Any]) -> AutoresetMode | None:
    mode = vector_env.metadata.get("autoreset_mode")
    try:
        return AutoresetMode(mode)
    except ValueError:
        return None


class GymnasiumVectorEnvAdapter(VecEnv):
    """An SB3 ``VecEnv`` over one Gymnasium 1.x ``VectorEnv`` in ``SAME_STEP`` autoreset mode.

    Observations, rewards (as float32), ``dones = terminated | truncated`` and per-env infos
    (with ``"TimeLimit.truncated"`` and, when done, ``"terminal_observation"``) are those
    :class:`~stable_baselines3.common.vec_env.DummyVecEnv` gives over the same sub-envs with
    the same seeds. A done sub-env's step info comes from Gymnasium's ``final_info``; the info
    of its automatic reset goes to :attr:`reset_infos`, as in ``DummyVecEnv``.

    **Attributes and methods** (``get_attr``, ``set_attr``, ``env_method``, ``has_attr``):

    * Over a :class:`~gymnasium.vector.SyncVectorEnv` they are the sub-envs' own, as in
      ``DummyVecEnv`` (through their wrappers' ``get_wrapper_attr``); over an
      :class:`~gymnasium.vector.AsyncVectorEnv` those of Gymnasium's ``get_attr`` / ``call`` /
      ``set_attr``, which reach every sub-env whatever ``indices`` says.
    * Any other vector env (a natively batched one) is one object: the attribute is read
      from, or the method called once on, the vector env (or its ``unwrapped`` env), and the
      result is split per sub-env when it is a NumPy array whose leading axis has length
      ``num_envs`` (row ``i`` for sub-env ``i``); any other result is given to every sub-env.
      So ``env_method("action_masks")`` returns one mask per sub-env, as sb3_contrib's
      ``MaskablePPO`` expects. ``observation_space`` and ``action_space`` map to the vector
      env's ``single_observation_space`` / ``single_action_space``. ``indices`` picks rows of
      the result (the batched call still computes all of them). ``set_attr`` on a per-env
      array attribute replaces rows ``indices``; any other attribute can only be set for all
      sub-envs at once. A batched result that is per-env by nature but whose leading axis
      is not ``num_envs`` (or a shared one that happens to have that length) is
      misclassified by this rule; read such attributes from :attr:`vector_env` directly.

    ``env_is_wrapped`` reports the sub-envs' Gymnasium wrappers for a ``SyncVectorEnv`` and
    False otherwise. Rendering is not supported.

    Args:
        vector_env: A Gymnasium vector env built with ``autoreset_mode=AutoresetMode.SAME_STEP``.

    Raises:
        TypeError: If ``vector_env`` is not a Gymnasium ``VectorEnv``.
        ValueError: If its autoreset mode is not ``SAME_STEP``.
    """

    def __init__(self, vector_env: VectorEnv[Any, Any, Any]) -> None:
        if not isinstance(vector_env, VectorEnv):
            raise TypeError(
                f"expected a gymnasium.vector.VectorEnv, got {type(vector_env).__name__}"
            )
        mode = _autoreset_mode(vector_env)
        if mode != AutoresetMode.SAME_STEP:
            found = vector_env.metadata.get("autoreset_mode")
            raise ValueError(
                f"{type(vector_env.unwrapped).__name__} has autoreset_mode={found!r}, but "
                "Stable-Baselines3 needs AutoresetMode.SAME_STEP: SB3 expects a finished "
                "sub-env to be reset within the same step, with its last observation in "
                'infos[i]["terminal_observation"]. Build the vector env with '
                "autoreset_mode=AutoresetMode.SAME_STEP, e.g. gym.make_vec(env_id, num_envs=n, "
                "autoreset_mode=AutoresetMode.SAME_STEP) for a vector entry point or "
                "vector_kwargs={'autoreset_mode': AutoresetMode.SAME_STEP} for sync/async, "
                "or use wmoe.agents.vec_env.make_sb3_vec_env."
            )
        self._vector_env = vector_env
        self._actions: Any = None
        super().__init__(
            vector_env.num_envs,
            vector_env.single_observation_space,
            vector_env.single_action_space,
        )

    @property
    def vector_env(self) -> VectorEnv[Any, Any, Any]:
        """The wrapped Gymnasium vector env."""
        return self._vector_env

    # ------------------------------------------------------------------ reset / step

    def _reset_options_arg(self) -> dict[str, Any] | None:
        """The one ``options`` dict for the batched reset, from SB3's per-env ``_options``."""
        options = self._options
        if all(not o for o in options):
            return None
        first = options[0]
        try:
            same = all(o is first or o == first for o in options)
        except ValueError:  # e.g. NumPy arrays in the dicts
            same = False
        if not same:
            raise ValueError(
                "a Gymnasium vector env takes one options dict for all sub-envs; "
                "call set_options() with a single dict"
            )
        return dict(first)

    def reset(self) -> VecEnvObs:
        """Reset every sub-env with the seeds and options set since the last reset.

        Returns:
            The batched first observations.
        """
        seeds: list[int | None] = list(self._seeds)
        seed_arg: Any = seeds  # a list, as SyncVectorEnv takes (the stubs say int only)
        if all(s is None for s in seeds):
            seed_arg = None
        elif seeds[0] is not None and seeds == [seeds[0] + i for i in range(self.num_envs)]:
            seed_arg = seeds[0]  # what VecEnv.seed() sets; the int form every env takes
        obs, infos = self._vector_env.reset(seed=seed_arg, options=self._reset_options_arg())
        self.reset_infos = vector_info_to_list(infos, self.num_envs)
        self._reset_seeds()
        self._reset_options()
        return copy.deepcopy(obs)

    def step_async(self, actions: np.ndarray) -> None:
        """Store the batched actions for :meth:`step_wait`."""
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        """Step every sub-env with the stored actions (finished ones reset in the same step).

        Returns:
            Observations, float32 rewards, bool dones and one info dict per sub-env.

        Raises:
            RuntimeError: If a done sub-env has no ``final_obs`` (not a SAME_STEP env).
        """
        obs, rewards, terminated, truncated, infos = self._vector_env.step(self._actions)
        terminated = np.asarray(terminated, dtype=np.bool_)
        truncated = np.asarray(truncated, dtype=np.bool_)
        dones = terminated | truncated
        final_obs = infos.get("final_obs")
        final_obs_mask = infos.get("_final_obs")
        final_info = infos.get("final_info")
        final_info_mask = infos.get("_final_info")
        n = self.num_envs
        env_infos: list[dict[str, Any]] = []
        for i in range(n):
            info = _env_info(infos, i, n, skip=_FINAL_KEYS)
            if dones[i]:
                if final_info is not None and final_info_mask is not None and final_info_mask[i]:
                    self.reset_infos[i] = info
                    info = _env_info(final_info, i, n)
                else:
                    self.reset_infos[i] = {}
            info["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            if dones[i]:
                if final_obs is None or final_obs_mask is None or not final_obs_mask[i]:
                    raise RuntimeError(
                        f"sub-env {i} is done but infos has no final_obs for it; the vector "
                        "env must autoreset in SAME_STEP mode"
                    )
                info["terminal_observation"] = copy.deepcopy(final_obs[i])
            env_infos.append(info)
        return (
            copy.deepcopy(obs),
            np.asarray(rewards, dtype=np.float32).copy(),
            dones,
            env_infos,
        )

    def close(self) -> None:
        """Close the vector env."""
        self._vector_env.close()

    def render(self, mode: str | None = None) -> np.ndarray | None:
        """Not supported.

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not render; render the Gymnasium vector env directly"
        )

    def get_images(self) -> Sequence[np.ndarray | None]:
        """Not supported.

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError(f"{type(self).__name__} does not render")

    # ------------------------------------------------------------------ attributes

    def _index_list(self, indices: VecEnvIndices) -> list[int]:
        out = [int(i) for i in self._get_indices(indices)]
        for i in out:
            if not 0 <= i < self.num_envs:
                raise IndexError(f"env index {i} out of range for num_envs={self.num_envs}")
        return out

    def _sub_envs(self) -> SyncVectorEnv | AsyncVectorEnv | None:
        """The vector env when it holds separate sub-env objects, else None."""
        base = self._vector_env.unwrapped
        return base if isinstance(base, (SyncVectorEnv, AsyncVectorEnv)) else None

    def _batched_attr(self, name: str) -> tuple[Any, Any]:
        """``(owner, value)`` of a batched env's attribute (wrapper first, then unwrapped)."""
        if name in _SINGLE_SPACES:
            name = f"single_{name}"
        for owner in (self._vector_env, self._vector_env.unwrapped):
            try:
                return owner, getattr(owner, name)
            except AttributeError:
                continue
        raise AttributeError(
            f"{type(self._vector_env.unwrapped).__name__} has no attribute {name!r}"
        )

    def _is_per_env(self, value: Any) -> bool:
        return isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == self.num_envs

    def _split(self, value: Any, indices: list[int]) -> list[Any]:
        if self._is_per_env(value):
            return [value[i] for i in indices]
        return [value for _ in indices]

    def has_attr(self, attr_name: str) -> bool:
        """Whether the sub-envs (or the batched env) have ``attr_name``."""
        try:
            self.get_attr(attr_name)
        except AttributeError:
            return False
        return True

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """Per-env values of ``attr_name`` (see the class docstring for batched envs).

        Args:
            attr_name: Attribute name.
            indices: Sub-envs to read; None for all.

        Returns:
            One value per index.
        """
        index_list = self._index_list(indices)
        sub = self._sub_envs()
        if isinstance(sub, SyncVectorEnv):
            return [sub.envs[i].get_wrapper_attr(attr_name) for i in index_list]
        if sub is not None:
            values = sub.get_attr(attr_name)
            return [values[i] for i in index_list]
        return self._split(self._batched_attr(attr_name)[1], index_list)

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set ``attr_name`` to ``value`` in the sub-envs ``indices``.

        Args:
            attr_name: Attribute name.
            value: The value every targeted sub-env gets.
            indices: Sub-envs to set; None for all.

        Raises:
            ValueError: For a subset of a batched env's attribute that is not per-env.
        """
        index_list = self._index_list(indices)
        sub = self._sub_envs()
        if isinstance(sub, SyncVectorEnv):
            for i in index_list:
                setattr(sub.envs[i], attr_name, value)
            return
        if sub is not None:
            if len(set(index_list)) == self.num_envs:
                sub.set_attr(attr_name, value)
            else:
                values = list(sub.get_attr(attr_name))
                for i in index_list:
                    values[i] = value
                sub.set_attr(attr_name, values)
            return
        try:
            owner, current = self._batched_attr(attr_name)
        except AttributeError:
            owner, current = self._vector_env, None
        target = f"single_{attr_name}" if attr_name in _SINGLE_SPACES else attr_name
        if self._is_per_env(current):
            updated = np.array(current, copy=True)
            updated[index_list] = value
            setattr(owner, target, updated)
        elif len(set(index_list)) == self.num_envs:
            setattr(owner, target, value)
        else:
            raise ValueError(
                f"{attr_name!r} is one value shared by all sub-envs of the batched "
                f"{type(self._vector_env.unwrapped).__name__}; set it for all envs "
                "(indices=None)"
            )

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        """Call ``method_name`` (once, for a batched env) and return per-env results.

        Args:
            method_name: Method name.
            *method_args: Positional arguments of the call.
            indices: Sub-envs whose results to return; None for all.
            **method_kwargs: Keyword arguments of the call.

        Returns:
            One result per index.
        """
        index_list = self._index_list(indices)
        sub = self._sub_envs()
        if isinstance(sub, SyncVectorEnv):
            return [
                sub.envs[i].get_wrapper_attr(method_name)(*method_args, **method_kwargs)
                for i in index_list
            ]
        if sub is not None:
            results = sub.call(method_name, *method_args, **method_kwargs)
            return [results[i] for i in index_list]
        method = self._batched_attr(method_name)[1]
        return self._split(method(*method_args, **method_kwargs), index_list)

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper[Any, Any, Any, Any]], indices: VecEnvIndices = None
    ) -> list[bool]:
        """Whether sub-envs are wrapped with ``wrapper_class`` (False unless SyncVectorEnv)."""
        index_list = self._index_list(indices)
        base = self._vector_env.unwrapped
        if isinstance(base, SyncVectorEnv):
            return [is_wrapped(base.envs[i], wrapper_class) for i in index_list]
        return [False for _ in index_list]


def _vector_entry_point_takes_autoreset_mode(env_id: str) -> bool:
    """Whether ``env_id`` has a vector entry point that accepts ``autoreset_mode``."""
    entry_point = gym.spec(env_id).vector_entry_point
    if entry_point is None:
        return False
    creator = entry_point if callable(entry_point) else load_env_creator(entry_point)
    try:
        parameters = inspect.signature(creator).parameters
    except (TypeError, ValueError):
        return False
    return "autoreset_mode" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def make_sb3_vec_env(
    env_id: str,
    num_envs: int,
    seed: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    monitor: bool = True,
) -> VecEnv:
    """Build an SB3 ``VecEnv`` of ``num_envs`` copies of a registered Gymnasium env.

    With a ``vector_entry_point`` in the env's registration that takes ``autoreset_mode``
    (every wmoe env; not e.g. Gymnasium's ``CartPoleVectorEnv``) this is a
    :class:`GymnasiumVectorEnvAdapter` over ``gym.make_vec(env_id, num_envs,
    vectorization_mode="vector_entry_point", autoreset_mode=AutoresetMode.SAME_STEP,
    **env_kwargs)``; otherwise a ``DummyVecEnv`` over ``gym.make(env_id, **env_kwargs)``.

    Args:
        env_id: A registered Gymnasium id, e.g. ``"wmoe/MultiBSReception-v0"``.
        num_envs: Number of sub-environments.
        seed: Sub-env ``i`` is reset with ``seed + i`` at the first reset (SB3's
            ``VecEnv.seed``); None draws a random base seed. Action spaces are seeded too.
        env_kwargs: Constructor keyword arguments of the env, e.g. ``{"config": {...}}``.
        monitor: Wrap the result in ``VecMonitor`` (episode returns and lengths in infos).

    Returns:
        The vectorized env (already seeded for its first reset).

    Raises:
        ValueError: If ``num_envs < 1`` or ``env_kwargs`` holds ``render_mode``.
    """
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    kwargs = dict(env_kwargs or {})
    if "render_mode" in kwargs:
        raise ValueError(
            "make_sb3_vec_env builds training envs without rendering; drop render_mode"
        )
    venv: VecEnv
    if _vector_entry_point_takes_autoreset_mode(env_id):
        # Vector entry points take their arguments as kwargs: make_vec refuses vector_kwargs.
        vector_env = gym.make_vec(
            env_id,
            num_envs=num_envs,
            vectorization_mode=VectorizeMode.VECTOR_ENTRY_POINT,
            autoreset_mode=AutoresetMode.SAME_STEP,
            **copy.deepcopy(kwargs),
        )
        venv = GymnasiumVectorEnvAdapter(vector_env)
        if seed is not None:
            venv.action_space.seed(seed)
    else:
        dummy = DummyVecEnv(
            [lambda: gym.make(env_id, **copy.deepcopy(kwargs)) for _ in range(num_envs)]
        )
        if seed is not None:
            for rank, env in enumerate(dummy.envs):
                env.action_space.seed(seed + rank)
        venv = dummy
    venv.seed(seed)
    if monitor:
        venv = VecMonitor(venv)
    return venv
