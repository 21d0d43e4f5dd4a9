"""Diffusion actor-critic (``wmoe train --algo diffusion-sac``), laid out as sb3-contrib does."""

from wmoe.agents.diffusion_sac.buffers import ExpertReplayBuffer, ExpertReplayBufferSamples
from wmoe.agents.diffusion_sac.diffusion_sac import DiffusionSAC
from wmoe.agents.diffusion_sac.policies import DiffusionActor, DiffusionSACPolicy

__all__ = [
    "DiffusionActor",
    "DiffusionSAC",
    "DiffusionSACPolicy",
    "ExpertReplayBuffer",
    "ExpertReplayBufferSamples",
]
