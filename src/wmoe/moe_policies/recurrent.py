"""sb3-contrib's ``RecurrentPPO`` policy with MoE (or MLP) networks after the LSTM.

``RecurrentActorCriticPolicy`` runs features -> LSTM (one for the actor and, by default,
one for the critic) -> ``mlp_extractor`` -> action and value heads, and calls only the
extractor's ``forward_actor``/``forward_critic``. Its ``_build_mlp_extractor`` hook is
swapped for :class:`~wmoe.moe_policies.sb3_policies.MoEExtractor` over the LSTM's output,
so every network preset works as in PPO: the router sees the LSTM's summary of the history.
A multi-gate (``mmoe``) network shares its experts between the actor's and the critic's
LSTM outputs, each with its own gate.

The aux losses ride on the latents as in PPO; RecurrentPPO masks the padding of its
sequence minibatches out of its own losses, but the router statistics of an aux loss cover
the padded rows too.
"""

from __future__ import annotations

from sb3_contrib.common.recurrent.policies import RecurrentActorCriticPolicy

from wmoe.moe_policies.sb3_policies import MoEExtractor, NetworkSpecMixin


class MoERecurrentActorCriticPolicy(NetworkSpecMixin, RecurrentActorCriticPolicy):
    """RecurrentPPO policy with MoE (or MLP) actor and critic networks after the LSTM.

    Args:
        *args: As :class:`sb3_contrib.common.recurrent.policies.RecurrentActorCriticPolicy`.
        network: Preset name, :class:`~wmoe.moe_policies.spec.NetworkSpec` or mapping.
        moe_in: ``"actor"``, ``"critic"`` or ``"both"``.
        **kwargs: As ``RecurrentActorCriticPolicy`` (``net_arch`` must not be given;
            ``lstm_hidden_size`` sets the width the networks take in).
    """

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = MoEExtractor(  # type: ignore[assignment]
            self.lstm_output_dim,
            self.side_spec("actor"),
            self.side_spec("critic"),
            self.activation_fn,
        )
