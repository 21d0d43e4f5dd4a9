"""Mixture-of-Experts layers, routers, auxiliary losses and SB3 policies.

Depends only on torch, Stable-Baselines3 and sb3-contrib base classes, never on the envs.
"""

from wmoe.moe_policies.aux_losses import AuxLossCoefficients
from wmoe.moe_policies.layers import MoELayer, MultiGateMoELayer, RoutedLayer, SoftMoELayer
from wmoe.moe_policies.presets import PRESETS, resolve_network
from wmoe.moe_policies.routers import HierarchicalRouter, Routing, TopKRouter
from wmoe.moe_policies.sb3_policies import (
    MaskableMoEActorCriticPolicy,
    MoEActorCriticPolicy,
    MoEDQNPolicy,
    MoEQRDQNPolicy,
    MoESACPolicy,
    MoETD3Policy,
)
from wmoe.moe_policies.spec import NetworkSpec, RouterSpec, build_body

__all__ = [
    "PRESETS",
    "AuxLossCoefficients",
    "HierarchicalRouter",
    "MaskableMoEActorCriticPolicy",
    "MoEActorCriticPolicy",
    "MoEDQNPolicy",
    "MoELayer",
    "MoEQRDQNPolicy",
    "MoESACPolicy",
    "MoETD3Policy",
    "MultiGateMoELayer",
    "NetworkSpec",
    "RoutedLayer",
    "RouterSpec",
    "Routing",
    "SoftMoELayer",
    "TopKRouter",
    "build_body",
    "resolve_network",
]
