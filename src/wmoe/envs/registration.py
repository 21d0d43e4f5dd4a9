"""The one table of wmoe environment ids and their entry points.

Gymnasium 1.x ignores package entry points, so :func:`register_envs` runs on ``import wmoe``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gymnasium as gym

if TYPE_CHECKING:
    from wmoe.config import ConfigSchema


@dataclass(frozen=True)
class EnvSpecEntry:
    """One registered environment.

    Attributes:
        env_id: The namespaced Gymnasium id, ``wmoe/<Name>-v<N>``.
        entry_point: ``module:Class`` of the single environment.
        vector_entry_point: ``module:Class`` of the native batched environment.
        summary: One line saying what the environment is about.
        baselines: Module with ``BASELINES`` (name -> policy) and
            ``baseline_action(name, env, rng)`` for a single unwrapped env, or None.
    """

    env_id: str
    entry_point: str
    vector_entry_point: str
    summary: str
    baselines: str | None = None


ENV_TABLE: tuple[EnvSpecEntry, ...] = (
    EnvSpecEntry(
        env_id="wmoe/MultiBSReception-v0",
        entry_point="wmoe.envs.multi_bs_reception.env:MultiBSReceptionEnv",
        vector_entry_point="wmoe.envs.multi_bs_reception.vector:MultiBSReceptionVectorEnv",
        summary=(
            "Uplink multi-BS coordinated reception on DeepMIMO O1 (synthetic O1-like by "
            "default): pick N of 18 BSs and a UE precoder; reward = MMSE sum rate."
        ),
        baselines="wmoe.envs.multi_bs_reception.baselines",
    ),
    EnvSpecEntry(
        env_id="wmoe/MultiBSReception-v1",
        entry_point="wmoe.envs.multi_bs_reception.env:MultiBSReceptionV1Env",
        vector_entry_point="wmoe.envs.multi_bs_reception.vector:MultiBSReceptionV1VectorEnv",
        summary=(
            "MultiBSReception with the TS 38.211 TPMI codebook, the 256-QAM MCS ceiling and "
            "interferers with the TS 38.213 bandwidth term: the case study's location bandit."
        ),
        baselines="wmoe.envs.multi_bs_reception.baselines_v1",
    ),
    EnvSpecEntry(
        env_id="wmoe/MultiBSReceptionRSRP-v1",
        entry_point="wmoe.envs.multi_bs_reception.env:MultiBSReceptionRSRPV1Env",
        vector_entry_point=("wmoe.envs.multi_bs_reception.vector:MultiBSReceptionRSRPV1VectorEnv"),
        summary=(
            "MultiBSReception-v1 observed through TS 38.133 RSRP reports (1 dB steps, "
            "measurement error); pick the cooperative set, the gNB picks the TPMI."
        ),
        baselines="wmoe.envs.multi_bs_reception.baselines_v1",
    ),
    EnvSpecEntry(
        env_id="wmoe/MultiBSReceptionMobility-v1",
        entry_point="wmoe.envs.multi_bs_reception.env:MultiBSReceptionMobilityV1Env",
        vector_entry_point=(
            "wmoe.envs.multi_bs_reception.vector:MultiBSReceptionMobilityV1VectorEnv"
        ),
        summary=(
            "Sequential MultiBSReception: UEs move along O1's streets reporting RSRP; "
            "changing the cooperative set costs a handover interruption."
        ),
        baselines="wmoe.envs.multi_bs_reception.baselines_v1",
    ),
    EnvSpecEntry(
        env_id="wmoe/MultiBSReceptionWideband-v1",
        entry_point="wmoe.envs.multi_bs_reception.env:MultiBSReceptionWidebandV1Env",
        vector_entry_point=(
            "wmoe.envs.multi_bs_reception.vector:MultiBSReceptionWidebandV1VectorEnv"
        ),
        summary=(
            "MultiBSReception-v1 over 8 sub-bands (rate averaged across the band) with "
            "interferers' own channels whitened by the set's joint MMSE receiver."
        ),
        baselines="wmoe.envs.multi_bs_reception.baselines_v1",
    ),
    EnvSpecEntry(
        env_id="wmoe/ChannelAwareClassification-v0",
        entry_point="wmoe.envs.channel_aware_classification.env:ChannelAwareClassificationEnv",
        vector_entry_point=(
            "wmoe.envs.channel_aware_classification.vector:ChannelAwareClassificationVectorEnv"
        ),
        summary=(
            "Channel-aware MoE inference as a contextual bandit: send a sample's feature to "
            "one of K edge experts over Rayleigh links; reward = the expert is right."
        ),
        baselines="wmoe.envs.channel_aware_classification.baselines",
    ),
    EnvSpecEntry(
        env_id="wmoe/ChannelAwareClassification-v1",
        entry_point="wmoe.envs.channel_aware_classification.env:ChannelAwareClassificationV1Env",
        vector_entry_point=(
            "wmoe.envs.channel_aware_classification.vector:ChannelAwareClassificationV1VectorEnv"
        ),
        summary=(
            "ChannelAwareClassification-v0's bandit, drawing each env's step with one "
            "generator call (faster batched; other draws per seed than v0)."
        ),
        baselines="wmoe.envs.channel_aware_classification.baselines",
    ),
    EnvSpecEntry(
        env_id="wmoe/ExpertRouting-v0",
        entry_point="wmoe.envs.expert_routing.env:ExpertRoutingEnv",
        vector_entry_point="wmoe.envs.expert_routing.vector:ExpertRoutingVectorEnv",
        summary=(
            "Sequential MoE expert routing: route Poisson-arriving tasks to K edge experts "
            "over time-correlated fading links and device queues, or drop them; "
            "reward = correct - weighted latency and energy."
        ),
        baselines="wmoe.envs.expert_routing.baselines",
    ),
    EnvSpecEntry(
        env_id="wmoe/ExpertRouting-v1",
        entry_point="wmoe.envs.expert_routing.env:ExpertRoutingV1Env",
        vector_entry_point="wmoe.envs.expert_routing.vector:ExpertRoutingV1VectorEnv",
        summary=(
            "ExpertRouting-v0's task, drawing each env's reset and step with one generator "
            "call (faster batched; other draws per seed than v0)."
        ),
        baselines="wmoe.envs.expert_routing.baselines",
    ),
    EnvSpecEntry(
        env_id="wmoe/SatelliteBeamforming-v0",
        entry_point="wmoe.envs.satellite_beamforming.env:SatelliteBeamformingEnv",
        vector_entry_point=("wmoe.envs.satellite_beamforming.vector:SatelliteBeamformingVectorEnv"),
        summary=(
            "LEO multibeam downlink beside a GEO system (TR 38.811/38.821 channel): set beam "
            "powers, sub-band colours and the precoder; reward = mean spectral efficiency "
            "minus a penalty for GEO terminals' I/N above -12.2 dB."
        ),
        baselines="wmoe.envs.satellite_beamforming.baselines",
    ),
    EnvSpecEntry(
        env_id="wmoe/SatelliteBeamforming-v1",
        entry_point="wmoe.envs.satellite_beamforming.env:SatelliteBeamformingV1Env",
        vector_entry_point=(
            "wmoe.envs.satellite_beamforming.vector:SatelliteBeamformingV1VectorEnv"
        ),
        summary=(
            "Sequential LEO multibeam downlink task mix (band, users, GEO layout, reward "
            "weights per episode): Markov shadowing, traffic queues, switching costs and "
            "rate splitting; reward = served spectral efficiency minus GEO, backlog and "
            "switching costs."
        ),
        baselines="wmoe.envs.satellite_beamforming.reference",
    ),
    EnvSpecEntry(
        env_id="wmoe/MultiAccess-v0",
        entry_point="wmoe.envs.multi_access.env:MultiAccessEnv",
        vector_entry_point="wmoe.envs.multi_access.vector:MultiAccessVectorEnv",
        summary=(
            "Slotted medium access beside legacy TDMA, ALOHA, WiFi CSMA/CA, NR-U LBT and "
            "IoT nodes, one coexistence mix per episode; reward = alpha-fair throughput."
        ),
        baselines="wmoe.envs.multi_access.baselines",
    ),
    EnvSpecEntry(
        env_id="wmoe/MultiAccess-v1",
        entry_point="wmoe.envs.multi_access.env:MultiAccessV1Env",
        vector_entry_point="wmoe.envs.multi_access.vector:MultiAccessV1VectorEnv",
        summary=(
            "MultiAccess with 802.11 DCF and NR-U LBT backoff in 9 us sub-slots (Bianchi's "
            "model); reward = proportionally fair throughput, normalised per episode."
        ),
        baselines="wmoe.envs.multi_access.baselines",
    ),
)


def register_envs() -> None:
    """Register every environment of :data:`ENV_TABLE` with Gymnasium (idempotent)."""
    for entry in ENV_TABLE:
        if entry.env_id in gym.registry:
            continue
        gym.register(
            id=entry.env_id,
            entry_point=entry.entry_point,
            vector_entry_point=entry.vector_entry_point,
        )


def env_entry(env_id: str) -> EnvSpecEntry | None:
    """The table entry of ``env_id``, or None for an env outside the suite."""
    return next((entry for entry in ENV_TABLE if entry.env_id == env_id), None)


def config_schema(env_id: str) -> type[ConfigSchema]:
    """The config schema of a suite env (imports its module).

    Raises:
        ValueError: If ``env_id`` is not an env of the suite (the message lists them).
    """
    entry = env_entry(env_id)
    if entry is None:
        valid = ", ".join(e.env_id for e in ENV_TABLE)
        raise ValueError(f"unknown env {env_id!r}; the suite's envs are: {valid}")
    module, _, name = entry.entry_point.partition(":")
    env_class = getattr(importlib.import_module(module), name)
    schema: type[ConfigSchema] = env_class.binding_class.config_schema
    return schema
