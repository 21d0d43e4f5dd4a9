"""Config schemas of ``wmoe/MultiAccess-v0``/``-v1`` (and the PettingZoo env): keys and ranges."""

from __future__ import annotations

from typing import Literal

from wmoe.config import ConfigSchema, Flag, Int, Number, setting
from wmoe.envs.multi_access.scenarios import MIX_NAMES

MixName = Literal["tdma+aloha", "aloha", "wifi", "nru+iot", "mixed"]
"""The coexistence mixes of :data:`~wmoe.envs.multi_access.scenarios.MIXES`, in its order."""
ANY_SCENARIO = "any"
"""``scenario`` value that draws each episode's mix from ``mixes``."""

ALPHA_MEANING = (
    "fairness exponent: 0 sum throughput (DLMA's objective), 1 proportional fairness, "
    "large: towards max-min (the utility of a floored throughput grows as W^(alpha-1))"
)
CONTENTION_MEANING = (
    "backoff of the sensing nodes (WiFi, NR-U): 'packet_slots' counts whole packet slots; "
    "'sub_slots' counts 9 us sub-slots within a slot's contention budget (Bianchi's DCF model)"
)
NORMALISE_MEANING = (
    "divide each slot's reward, less its least possible value, by the episode's steady-state "
    "upper bound less that value (0: all nodes starved, 1: the bound; see bounds.py)"
)
Contention = Literal["packet_slots", "sub_slots"]


class MultiAccessConfig(ConfigSchema):
    """Config of the multiple-access env beside legacy MAC nodes (DLMA model, IEEE JSAC 2019)."""

    num_channels: Int = setting(
        1,
        "C shared channels; each legacy node uses one, drawn per episode",
        unit="count",
        ge=1,
        le=16,
    )
    num_agents: Int = setting(
        1,
        "learning nodes; the Gymnasium env needs 1, the PettingZoo env takes several "
        "(its default is 2)",
        unit="count",
        ge=1,
        le=32,
    )
    scenario: Literal["any", MixName] = setting(
        ANY_SCENARIO,
        "a mix fixes the task family; 'any' draws one of mixes uniformly per episode (the "
        "meta-RL task distribution)",
    )
    mixes: list[MixName] = setting(
        list(MIX_NAMES),
        "mixes that scenario='any' draws from, uniformly over the entries",
        min_length=1,
    )
    traffic: Literal["saturated", "bursty"] = setting(
        "saturated",
        "'saturated' queues, or 'bursty' on-off sources for the ALOHA-family and WiFi nodes",
    )
    expose_task: Flag = setting(
        False, "append the one-hot of the episode's mix (of MIX_NAMES) to the observation"
    )
    history_slots: Int = setting(20, "past slots in the observation", unit="slots", ge=1, le=1000)
    episode_slots: Int = setting(
        500, "slots per episode (truncation)", unit="slots", ge=1, le=1_000_000
    )
    reward: Literal["success", "alpha_fair"] = setting(
        "alpha_fair",
        "'alpha_fair': utility of all nodes' running throughputs (Mo and Walrand, IEEE/ACM "
        "ToN 2000); 'success': the agent's own successes",
    )
    alpha: Number = setting(
        0.0,
        ALPHA_MEANING,
        ge=0.0,
        le=10.0,
    )
    fairness_window_slots: Int = setting(
        100,
        "window W of the running throughputs of the alpha-fair reward",
        unit="slots",
        ge=1,
        le=100_000,
    )
    action_type: Literal["discrete", "continuous"] = setting(
        "discrete",
        "'discrete': Discrete(1 + C); 'continuous': 1 + C scores in [-1, 1], argmax taken",
    )
    contention: Contention = setting(
        "packet_slots",
        CONTENTION_MEANING,
    )
    subslots_per_slot: Int = setting(
        16,
        "K, backoff sub-slots of 9 us in one slot's contention budget ('sub_slots' only)",
        unit="sub-slots",
        ge=1,
        le=1024,
    )
    normalise_reward: Flag = setting(
        False,
        NORMALISE_MEANING,
    )


class MultiAccessV1Config(MultiAccessConfig):
    """Config of ``wmoe/MultiAccess-v1``: the v0 keys with the v1 defaults."""

    history_slots: Int = setting(
        80,
        "past slots in the observation (80: two of the longest NR-U burst periods)",
        unit="slots",
        ge=1,
        le=1000,
    )
    alpha: Number = setting(
        1.0,
        ALPHA_MEANING,
        ge=0.0,
        le=10.0,
    )
    contention: Contention = setting(
        "sub_slots",
        CONTENTION_MEANING,
    )
    normalise_reward: Flag = setting(
        True,
        NORMALISE_MEANING,
    )
