"""``wmoe/ExpertRouting-v0`` and ``-v1``: thin Gymnasium adapters over the routing core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from wmoe.envs.action_checks import choice_space, decode_choices
from wmoe.envs.core_env import BatchStep, CoreBinding, CoreEnv
from wmoe.envs.expert_routing.config import RoutingConfig
from wmoe.envs.expert_routing.core import RoutingCore
from wmoe.envs.expert_routing.draws import RoutingDraws, VariateDraws, WordDraws
from wmoe.envs.expert_routing.render import RoutingRenderer


def observation_space(core: RoutingCore) -> spaces.Box:
    """Unbounded ``Box`` of the core's observation length."""
    return spaces.Box(-np.inf, np.inf, (core.observation_size,), dtype=np.float32)


class RoutingBinding(CoreBinding):
    """Spaces and actions of expert routing over :class:`RoutingCore`."""

    config_schema = RoutingConfig
    renderer_class = RoutingRenderer
    draws_class: ClassVar[type[RoutingDraws]] = VariateDraws
    core: RoutingCore

    def __init__(self, config: dict[str, Any], batch_size: int) -> None:
        super().__init__(config, batch_size)
        self.core = RoutingCore(config, batch_size, self.draws_class)
        self.observation_space = observation_space(self.core)
        self.action_space = choice_space(self.core.num_experts + 1, config["action_type"])

    def step(
        self, envs: NDArray[np.int64], actions: Any, rngs: Sequence[np.random.Generator]
    ) -> BatchStep:
        """Route or drop each env's task, then advance to its next arrival."""
        k, action_type = self.core.num_experts, self.config["action_type"]
        meaning = f"a device, or {k} to drop the task"
        routes = decode_choices(actions, len(envs), k + 1, action_type, meaning)
        rewards, truncated, info = self.core.step(envs, routes, rngs)
        return rewards, np.zeros(len(envs), dtype=np.bool_), truncated, info


class ExpertRoutingEnv(CoreEnv):
    """Route a stream of classification tasks to experts on edge devices, or drop them.

    ## Description

    The channel-aware gating paper (Song et al., "Mixture-of-Experts for Distributed Edge
    Computing with Channel-Aware Gating Function", Sec. II-III) run over time, where the
    routing decision has consequences. A server runs a backbone ``F: x -> z``; ``K`` edge
    devices each hold one expert. Tasks (samples of the configured split) arrive as a
    Poisson process; each step the agent sends the task's feature ``z`` to one device or
    drops it. The chosen device's link (average SNR drawn per episode, Rayleigh gain fading
    in time with Jakes correlation ``J0(2 pi f_D dt)`` as a Gauss-Markov process) sets the
    transmission time of the 8-bit quantised feature at the Shannon rate and the noise the
    expert sees (``z + sigma~_k n``, eq. 6); the device's FIFO queue and compute speed set
    the waiting and computing time. Sending every task over the best link overloads one
    device; spreading them evenly uses bad links and slow devices: the agent must balance
    accuracy, latency and energy now against the queues it leaves behind. The model, with
    its units and sources, is documented in :mod:`wmoe.envs.expert_routing.core`. The
    backbone and experts are the paper's two-stage system (:mod:`wmoe.classification`),
    trained on first use on the configured dataset (``digits`` by default, seconds on a CPU)
    and cached; the default system is that of ``wmoe/ChannelAwareClassification-v0``.

    ## Action Space

    ``Discrete(K + 1)``: the device (expert) ``0..K-1``, or ``K`` to drop the task. With
    ``action_type="continuous"``, ``Box(-1, 1, (K + 1,))`` scores; the highest is taken.

    ## Observation Space

    ``Box(-inf, inf, (d + 5 K,), float32)``: the feature ``z / rms(z)`` (``rms`` over the
    training set), then ``K`` entries of each of: the distortion ``log(1 + sigma~_k /
    rms(z))`` of each link now (as the channel-aware gate sees it), the instantaneous SNR
    ``SNR_k |h_k|^2`` in dB / 50, the time until each link is free / 0.1 s, the time until
    each device has finished its queue / 0.1 s, and each device's compute time per task /
    0.1 s.

    ## Rewards

    Routed: ``correct - latency_weight_per_s * latency_s - energy_weight_per_j * energy_j``,
    with ``correct`` 1 if the expert classifies what its link delivered right, else 0,
    ``latency_s`` the time from arrival to result (link wait + transmission + processor
    wait + compute) and ``energy_j`` the server's transmit energy ``tx_power_w * tx_time_s``.
    The defaults weigh 100 ms of latency like one misclassification. Dropped:
    ``-drop_penalty`` (no resources used).

    ## Starting State

    Each device's average SNR ``~ N(snr_mean_db, snr_std_db^2)`` [dB] and compute speed
    (log-uniform in ``compute_speed_range_flops``) are drawn; the gains start at the
    stationary ``CN(0, 1)``; all queues are empty; a first task has arrived.

    ## Episode End

    Never terminates; truncates after ``episode_length`` tasks.

    ## Arguments

    ``gym.make("wmoe/ExpertRouting-v0", config={...})`` with keys of
    :class:`~wmoe.envs.expert_routing.config.RoutingConfig` (table below; an unknown key or an
    invalid value raises :class:`~wmoe.config.ConfigError`). ``info`` holds ``label``,
    ``expert`` (the action: ``K`` when dropped),
    ``correct``, ``expert_correct`` (whether each expert would have been right on what its
    link delivers: the oracle's knowledge), ``latency_s``, ``tx_time_s``, ``queue_s``,
    ``compute_s``, ``energy_j`` (all 0 when dropped) and ``dropped``.

    ## Vectorized environment

    ``gym.make_vec("wmoe/ExpertRouting-v0", num_envs=n)`` returns the native batched
    ``ExpertRoutingVectorEnv`` (:mod:`wmoe.envs.expert_routing.vector`), equal to
    ``SyncVectorEnv`` over the same seeds.

    ## Version History

    * v0: initial version (analog distortion, Shannon-rate latency, FIFO device queues).
      ``wmoe/ExpertRouting-v1`` (:class:`ExpertRoutingV1Env`) is the same task with faster
      draws (different trajectories per seed).
    """

    binding_class = RoutingBinding
    binding: RoutingBinding

    @property
    def core(self) -> RoutingCore:
        """The simulator (for baselines and analysis)."""
        return self.binding.core


class RoutingV1Binding(RoutingBinding):
    """:class:`RoutingBinding` drawing as ``wmoe/ExpertRouting-v1``: one call per env and step."""

    draws_class = WordDraws


class ExpertRoutingV1Env(ExpertRoutingEnv):
    """``wmoe/ExpertRouting-v1``: expert routing of v0, one generator call per env and step.

    ## Description

    The task of :class:`ExpertRoutingEnv` (``wmoe/ExpertRouting-v0``) unchanged: the same
    model, config keys and defaults, spaces, rewards, baselines and distributions of every
    random quantity. Only how an env draws its randomness from its generator differs: each
    reset and each step draws all of it with one call (raw 64-bit words,
    :mod:`wmoe.envs.batch_draws`), which makes the native vector env faster (1.4x v0's with 64
    envs, ``benchmarks/perf/README.md``), and gives a seed other draws than in v0 (see
    Version History).

    ## Action Space

    As v0: ``Discrete(K + 1)`` (device ``0..K-1``, ``K`` drops), or ``Box(-1, 1, (K + 1,))``
    scores with ``action_type="continuous"``.

    ## Observation Space

    As v0: ``Box(-inf, inf, (d + 5 K,), float32)``.

    ## Rewards

    As v0.

    ## Starting State

    As v0.

    ## Episode End

    As v0: truncates after ``episode_length`` tasks.

    ## Arguments

    ``gym.make("wmoe/ExpertRouting-v1", config={...})`` with the keys of
    :class:`~wmoe.envs.expert_routing.config.RoutingConfig` (table below; v0's keys and
    defaults). ``info`` as v0.

    ## Vectorized environment

    ``gym.make_vec("wmoe/ExpertRouting-v1", num_envs=n)`` returns the native batched
    ``ExpertRoutingV1VectorEnv``, equal to ``SyncVectorEnv`` over the same seeds.

    ## Version History

    * v1: same distributions as v0, one generator call per env per reset and per step (v0:
      one call per variate group, env by env): the links, devices, inter-arrival times,
      fading innovations, samples and link noise are drawn from the env's raw 64-bit words
      and turned into variates batch-wide (the SNRs, gains, innovations and noise as float32
      Box-Muller normals, the speeds and inter-arrival times from 52-bit uniforms, the sample
      by multiply-shift; :class:`~wmoe.envs.expert_routing.draws.WordDraws`), so a seed gives
      different draws, hence different episodes, than in v0.
    * v0: :class:`ExpertRoutingEnv`.
    """

    binding_class = RoutingV1Binding
    binding: RoutingV1Binding
