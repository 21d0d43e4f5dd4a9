"""Stable-Baselines3 / sb3-contrib policies whose networks come from a :class:`NetworkSpec`.

Networks are swapped in through SB3's own hooks: ``_build_mlp_extractor`` (PPO, A2C,
MaskablePPO), ``make_actor``/``make_critic`` (SAC, TD3), ``make_q_net`` (DQN) and
``make_quantile_net`` (QR-DQN). Every policy takes two extra ``policy_kwargs``:

- ``network``: a preset name (see :data:`wmoe.moe_policies.presets.PRESETS`), a
  :class:`NetworkSpec` or a mapping; it also sets SB3's ``net_arch`` (so heads fit);
- ``moe_in``: ``"actor"``, ``"critic"`` or ``"both"`` (default): which networks get the MoE
  block; the others get the plain MLP of the same widths.

Both are saved with the model, so a loaded model rebuilds the same networks.

Off-policy critics carry their aux losses only when evaluated on actions that need no
gradient (the replay actions of the critic loss). When SAC or TD3 evaluate the critic on the
actor's actions for the actor loss, the critic's aux loss is left out, so it cannot push
the actor through the actions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch
from gymnasium import spaces
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from sb3_contrib.qrdqn.policies import QRDQNPolicy, QuantileNetwork
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy, ContinuousCritic
from stable_baselines3.common.preprocessing import get_action_dim
from stable_baselines3.dqn.policies import DQNPolicy, QNetwork
from stable_baselines3.sac.policies import Actor as SACActor
from stable_baselines3.sac.policies import SACPolicy
from stable_baselines3.td3.policies import Actor as TD3Actor
from stable_baselines3.td3.policies import TD3Policy
from torch import Tensor, nn

from wmoe.moe_policies.experts import ExpertMLPs
from wmoe.moe_policies.layers import MultiGateMoELayer, RoutedLayer, mlp
from wmoe.moe_policies.presets import resolve_network
from wmoe.moe_policies.spec import NetworkSpec, build_body, build_moe_block

MOE_SIDES: tuple[str, ...] = ("actor", "critic", "both")


def routed_layers(module: nn.Module) -> list[RoutedLayer]:
    """Every MoE layer inside ``module``."""
    return [m for m in module.modules() if isinstance(m, RoutedLayer)]


@contextmanager
def aux_losses_off(layers: list[RoutedLayer], off: bool = True) -> Iterator[None]:
    """Within the block, the given layers compute no aux loss (when ``off``)."""
    if not off:
        yield
        return
    modes = [layer.aux_mode for layer in layers]
    for layer in layers:
        layer.aux_mode = "off"
    try:
        yield
    finally:
        for layer, mode in zip(layers, modes, strict=True):
            layer.aux_mode = mode


class NetworkSpecMixin:
    """The ``network``/``moe_in`` policy kwargs of every policy here; derives SB3's ``net_arch``.

    Listed before the SB3 policy class, it resolves the spec, lets the subclass check it
    (:meth:`_check_network`), then calls the SB3 constructor with ``net_arch`` set; it adds
    both kwargs to the saved constructor parameters.

    Args:
        *args: The SB3 policy's positional arguments.
        network: Preset name, :class:`NetworkSpec` or mapping.
        moe_in: ``"actor"``, ``"critic"`` or ``"both"``.
        **kwargs: The SB3 policy's keyword arguments (``net_arch`` must not be given).
    """

    network: NetworkSpec
    moe_in: str

    def __init__(
        self,
        *args: Any,
        network: str | NetworkSpec | Mapping[str, Any] = "mlp",
        moe_in: str = "both",
        **kwargs: Any,
    ) -> None:
        self._resolve_network(network, moe_in, kwargs)
        self._check_network()
        super().__init__(*args, **kwargs)

    def _check_network(self) -> None:
        """Raise a ValueError if this policy cannot use ``self.network``/``self.moe_in``."""

    @staticmethod
    def init_weights(module: nn.Module, gain: float = 1) -> None:
        """SB3's orthogonal initialisation, extended to stacked expert weights."""
        BasePolicy.init_weights(module, gain)
        if isinstance(module, ExpertMLPs):
            module.orthogonal_(gain)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data: dict[str, Any] = super()._get_constructor_parameters()  # type: ignore[misc]
        data.update(network=self.network, moe_in=self.moe_in)
        data.pop("net_arch", None)
        return data

    def _resolve_network(
        self, network: str | NetworkSpec | Mapping[str, Any], moe_in: str, kwargs: dict[str, Any]
    ) -> None:
        if moe_in not in MOE_SIDES:
            raise ValueError(f"unknown moe_in {moe_in!r}; valid: {', '.join(MOE_SIDES)}")
        if kwargs.get("net_arch") is not None:
            raise ValueError(
                "net_arch is derived from `network`; set the widths there instead, e.g. "
                "policy_kwargs={'network': {'preset': 'mlp', 'stem': [256, 256]}}"
            )
        self.network = resolve_network(network)
        self.moe_in = moe_in
        # SB3 sizes its heads (SAC's action mean and log std) from net_arch[-1]: the actor's
        # output width, which differs from the last layer width for a matched spec (whose
        # widths depend on the input) and for flattened soft-MoE tokens.
        widths = list(self.network.stem + self.network.experts)
        kwargs["net_arch"] = [*widths[:-1], self.side_spec("actor").out_dim]

    def side_spec(self, side: str) -> NetworkSpec:
        """The spec for ``side`` (``"actor"``/``"critic"``): MoE there, or its plain MLP."""
        return self.network if self.moe_in in (side, "both") else self.network.as_mlp()


class MoEExtractor(nn.Module):
    """SB3 ``MlpExtractor`` interface (``latent_dim_pi/vf``, ``forward_actor/critic``).

    With a multi-gate spec in both networks, actor and critic share the experts and each
    has its own gate (MMoE, survey eq. 7).
    """

    def __init__(
        self,
        features_dim: int,
        actor_spec: NetworkSpec,
        critic_spec: NetworkSpec,
        activation: type[nn.Module],
    ) -> None:
        super().__init__()
        self.latent_dim_pi = actor_spec.out_dim
        self.latent_dim_vf = critic_spec.out_dim
        self.shared: MultiGateMoELayer | None = None
        multi_gate = actor_spec.router.multi_gate and actor_spec.is_moe
        if multi_gate and critic_spec.is_moe:
            self.stem = mlp(features_dim, actor_spec.stem, activation)
            block_in = actor_spec.stem[-1] if actor_spec.stem else features_dim
            block = build_moe_block(actor_spec, block_in, activation, num_heads=2)
            assert isinstance(block, MultiGateMoELayer)
            self.shared = block
        elif multi_gate:
            raise ValueError("a multi-gate (mmoe) network needs moe_in='both'")
        else:
            self.policy_net = build_body(actor_spec, features_dim, activation)
            self.value_net = build_body(critic_spec, features_dim, activation)

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        """Actor and critic latents."""
        if self.shared is not None:
            latent_pi, latent_vf = self.shared.forward_heads(self.stem(features))
            return latent_pi, latent_vf
        return self.forward_actor(features), self.forward_critic(features)

    def forward_actor(self, features: Tensor) -> Tensor:
        """Actor latent."""
        if self.shared is not None:
            return self.shared.forward_heads(self.stem(features), heads=[0])[0]
        latent: Tensor = self.policy_net(features)
        return latent

    def forward_critic(self, features: Tensor) -> Tensor:
        """Critic latent."""
        if self.shared is not None:
            return self.shared.forward_heads(self.stem(features), heads=[1])[0]
        latent: Tensor = self.value_net(features)
        return latent


class _ActorCriticNetworkMixin(NetworkSpecMixin):
    """``_build_mlp_extractor`` override shared by the on-policy actor-critic policies."""

    features_dim: int
    activation_fn: type[nn.Module]
    mlp_extractor: Any  # SB3 types it as MlpExtractor; ours has the same interface

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = MoEExtractor(
            self.features_dim,
            self.side_spec("actor"),
            self.side_spec("critic"),
            self.activation_fn,
        )


class MoEActorCriticPolicy(_ActorCriticNetworkMixin, ActorCriticPolicy):
    """PPO/A2C policy with MoE (or MLP) actor and critic networks.

    Args:
        *args: As :class:`stable_baselines3.common.policies.ActorCriticPolicy`.
        network: Preset name, :class:`NetworkSpec` or mapping.
        moe_in: ``"actor"``, ``"critic"`` or ``"both"``.
        **kwargs: As ``ActorCriticPolicy`` (``net_arch`` must not be given).
    """


class MaskableMoEActorCriticPolicy(_ActorCriticNetworkMixin, MaskableActorCriticPolicy):
    """MaskablePPO policy with MoE (or MLP) actor and critic networks.

    Args:
        *args: As :class:`sb3_contrib.common.maskable.policies.MaskableActorCriticPolicy`.
        network: Preset name, :class:`NetworkSpec` or mapping.
        moe_in: ``"actor"``, ``"critic"`` or ``"both"``.
        **kwargs: As ``MaskableActorCriticPolicy`` (``net_arch`` must not be given).
    """


class MoEContinuousCritic(ContinuousCritic):
    """SB3 ``ContinuousCritic`` whose Q-networks are ``body -> Linear(1)``.

    Aux losses are carried only when ``actions`` need no gradient (see module docstring).

    Args:
        *args: As :class:`stable_baselines3.common.policies.ContinuousCritic`.
        body_spec: Network of each Q-network.
        **kwargs: As ``ContinuousCritic``.
    """

    def __init__(self, *args: Any, body_spec: NetworkSpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        in_dim = kwargs["features_dim"] + get_action_dim(self.action_space)
        for index in range(self.n_critics):
            q_net = nn.Sequential(
                build_body(body_spec, in_dim, kwargs["activation_fn"]),
                nn.Linear(body_spec.out_dim, 1),
            )
            self.add_module(f"qf{index}", q_net)
            self.q_networks[index] = q_net
        self._routed = routed_layers(self)

    def forward(self, obs: Tensor, actions: Tensor) -> tuple[Tensor, ...]:
        """Q-values of every critic network."""
        with aux_losses_off(self._routed, off=actions.requires_grad):
            return super().forward(obs, actions)

    def q1_forward(self, obs: Tensor, actions: Tensor) -> Tensor:
        """Q-value of the first critic network."""
        with aux_losses_off(self._routed, off=actions.requires_grad):
            return super().q1_forward(obs, actions)


class OffPolicyCriticMixin(NetworkSpecMixin):
    """``make_critic`` override shared by SAC and TD3 policies."""

    critic_kwargs: dict[str, Any]
    device: torch.device

    if TYPE_CHECKING:  # provided by SB3's BasePolicy

        def _update_features_extractor(
            self, net_kwargs: dict[str, Any], features_extractor: Any = None
        ) -> dict[str, Any]: ...

    def _check_network(self) -> None:
        if self.network.router.multi_gate and self.network.is_moe:
            raise ValueError(
                "a multi-gate (mmoe) network needs an actor-critic policy with shared "
                "experts (ppo, a2c, ppo_mask); SAC and TD3 train actor and critic apart"
            )

    def critic_spec(self) -> NetworkSpec:
        """Body of each Q-network (the ``network``, or its MLP form, per ``moe_in``)."""
        return self.side_spec("critic")

    def make_critic(self, features_extractor: Any = None) -> ContinuousCritic:
        """SB3 hook: the critic, with bodies from :meth:`critic_spec`."""
        critic_kwargs = self._update_features_extractor(self.critic_kwargs, features_extractor)
        critic = MoEContinuousCritic(body_spec=self.critic_spec(), **critic_kwargs)
        return critic.to(self.device)


class MoESACPolicy(OffPolicyCriticMixin, SACPolicy):
    """SAC policy with MoE (or MLP) actor and critic networks.

    Args:
        *args: As :class:`stable_baselines3.sac.policies.SACPolicy`.
        network: Preset name, :class:`NetworkSpec` or mapping.
        moe_in: ``"actor"``, ``"critic"`` or ``"both"``.
        **kwargs: As ``SACPolicy`` (``net_arch`` must not be given).
    """

    def make_actor(self, features_extractor: Any = None) -> SACActor:
        """SB3 hook: the actor, its latent network built from the actor's spec."""
        actor = super().make_actor(features_extractor)
        spec = self.side_spec("actor")
        actor.latent_pi = build_body(spec, actor.features_dim, actor.activation_fn)
        return actor.to(self.device)


class MoETD3Policy(OffPolicyCriticMixin, TD3Policy):
    """TD3 policy with MoE (or MLP) actor and critic networks.

    Args:
        *args: As :class:`stable_baselines3.td3.policies.TD3Policy`.
        network: Preset name, :class:`NetworkSpec` or mapping.
        moe_in: ``"actor"``, ``"critic"`` or ``"both"``.
        **kwargs: As ``TD3Policy`` (``net_arch`` must not be given).
    """

    def make_actor(self, features_extractor: Any = None) -> TD3Actor:
        """SB3 hook: the deterministic actor ``body -> Linear -> tanh``."""
        actor = super().make_actor(features_extractor)
        spec = self.side_spec("actor")
        actor.mu = nn.Sequential(
            build_body(spec, actor.features_dim, actor.activation_fn),
            nn.Linear(spec.out_dim, get_action_dim(self.action_space)),
            nn.Tanh(),
        )
        return actor.to(self.device)


def _q_only_spec(mixin: NetworkSpecMixin, algorithm: str) -> NetworkSpec:
    if mixin.moe_in == "actor":
        raise ValueError(f"{algorithm} has only a Q-network; use moe_in='critic' or 'both'")
    if mixin.network.router.multi_gate and mixin.network.is_moe:
        raise ValueError(f"a multi-gate (mmoe) network needs several heads; {algorithm} has one")
    return mixin.side_spec("critic")


class MoEDQNPolicy(NetworkSpecMixin, DQNPolicy):
    """DQN policy whose Q-network is ``body -> Linear(n_actions)``.

    Args:
        *args: As :class:`stable_baselines3.dqn.policies.DQNPolicy`.
        network: Preset name, :class:`NetworkSpec` or mapping.
        moe_in: ``"critic"`` or ``"both"`` (the Q-network).
        **kwargs: As ``DQNPolicy`` (``net_arch`` must not be given).
    """

    def _check_network(self) -> None:
        self._q_spec = _q_only_spec(self, "DQN")

    def make_q_net(self) -> QNetwork:
        """SB3 hook: the Q-network."""
        q_net = super().make_q_net()
        assert isinstance(self.action_space, spaces.Discrete)
        q_net.q_net = nn.Sequential(
            build_body(self._q_spec, q_net.features_dim, q_net.activation_fn),
            nn.Linear(self._q_spec.out_dim, int(self.action_space.n)),
        )
        return q_net.to(self.device)


class MoEQRDQNPolicy(NetworkSpecMixin, QRDQNPolicy):
    """QR-DQN policy whose quantile network is ``body -> Linear(n_actions * n_quantiles)``.

    Args:
        *args: As :class:`sb3_contrib.qrdqn.policies.QRDQNPolicy`.
        network: Preset name, :class:`NetworkSpec` or mapping.
        moe_in: ``"critic"`` or ``"both"`` (the quantile network).
        **kwargs: As ``QRDQNPolicy`` (``net_arch`` must not be given).
    """

    def _check_network(self) -> None:
        self._q_spec = _q_only_spec(self, "QR-DQN")

    def make_quantile_net(self) -> QuantileNetwork:
        """sb3-contrib hook: the quantile network."""
        net = super().make_quantile_net()
        assert isinstance(self.action_space, spaces.Discrete)
        net.quantile_net = nn.Sequential(
            build_body(self._q_spec, net.features_dim, net.activation_fn),
            nn.Linear(self._q_spec.out_dim, int(self.action_space.n) * net.n_quantiles),
        )
        return net.to(self.device)
