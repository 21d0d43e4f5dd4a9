"""The algorithms ``wmoe train`` knows, with the policy class that takes our network presets."""

from __future__ import annotations

from dataclasses import dataclass

from gymnasium import spaces
from sb3_contrib import QRDQN, MaskablePPO, RecurrentPPO
from stable_baselines3 import A2C, DQN, PPO, SAC, TD3
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import BasePolicy

from wmoe.agents.diffusion_sac import DiffusionSAC, DiffusionSACPolicy
from wmoe.agents.two_part import TwoPart, TwoPartPolicy
from wmoe.moe_policies import (
    MaskableMoEActorCriticPolicy,
    MoEActorCriticPolicy,
    MoEDQNPolicy,
    MoEQRDQNPolicy,
    MoESACPolicy,
    MoETD3Policy,
)
from wmoe.moe_policies.recurrent import MoERecurrentActorCriticPolicy

DISCRETE = (spaces.Discrete,)
ON_POLICY_SPACES = (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary, spaces.Box)


@dataclass(frozen=True)
class AlgorithmEntry:
    """One trainable algorithm.

    Attributes:
        name: Name on the command line and in ``hyperparams/<name>.yml`` (rl-zoo style).
        algorithm: The SB3 / sb3-contrib algorithm class.
        policy: Policy class that takes ``network``/``moe_in`` policy kwargs.
        action_spaces: Action space types the algorithm supports.
    """

    name: str
    algorithm: type[BaseAlgorithm]
    policy: type[BasePolicy]
    action_spaces: tuple[type[spaces.Space], ...]


ALGORITHMS: dict[str, AlgorithmEntry] = {
    entry.name: entry
    for entry in (
        AlgorithmEntry("a2c", A2C, MoEActorCriticPolicy, ON_POLICY_SPACES),
        AlgorithmEntry("ppo", PPO, MoEActorCriticPolicy, ON_POLICY_SPACES),
        AlgorithmEntry(
            "ppo_mask",
            MaskablePPO,
            MaskableMoEActorCriticPolicy,
            (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary),
        ),
        AlgorithmEntry("sac", SAC, MoESACPolicy, (spaces.Box,)),
        AlgorithmEntry("td3", TD3, MoETD3Policy, (spaces.Box,)),
        AlgorithmEntry("dqn", DQN, MoEDQNPolicy, DISCRETE),
        AlgorithmEntry("qrdqn", QRDQN, MoEQRDQNPolicy, DISCRETE),
        AlgorithmEntry(
            "diffusion_sac", DiffusionSAC, DiffusionSACPolicy, (spaces.Discrete, spaces.Box)
        ),
        AlgorithmEntry("two_part", TwoPart, TwoPartPolicy, (spaces.Box,)),
        # The network presets go after the LSTM (features -> LSTM -> MoE/MLP -> heads).
        AlgorithmEntry(
            "recurrent_ppo", RecurrentPPO, MoERecurrentActorCriticPolicy, ON_POLICY_SPACES
        ),
    )
}


def get_algorithm(name: str) -> AlgorithmEntry:
    """The entry for ``name`` (case-insensitive; ``-`` and ``_`` are the same).

    Raises:
        ValueError: For an unknown name; the message lists the valid ones.
    """
    key = name.lower().replace("-", "_")
    if key not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {name!r}; valid: {', '.join(ALGORITHMS)}")
    return ALGORITHMS[key]


def check_action_space(entry: AlgorithmEntry, env_id: str, space: spaces.Space) -> None:
    """Raise a ValueError naming the fix when ``entry`` cannot act in ``space``."""
    if isinstance(space, entry.action_spaces):
        return
    wanted = ", ".join(t.__name__ for t in entry.action_spaces)
    hint = ""
    if env_id.startswith("wmoe/"):
        hint = (
            " (wmoe envs choose their action form with the config key action_type, e.g. "
            "--env-kwargs config.action_type:continuous)"
        )
    raise ValueError(f"{entry.name} needs a {wanted} action space; {env_id} has {space}{hint}")
