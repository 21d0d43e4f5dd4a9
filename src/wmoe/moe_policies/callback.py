"""SB3 callback that logs routing statistics of every MoE layer of a model's policy."""

from __future__ import annotations

from stable_baselines3.common.callbacks import BaseCallback
from torch import nn

from wmoe.moe_policies.layers import RoutedLayer

_SHORT = {
    "mlp_extractor": "",
    "policy_net": "pi",
    "value_net": "vf",
    "actor": "pi",
    "latent_pi": "",
    "mu": "",
    "critic": "qf",
    "q_net": "q",
    "quantile_net": "q",
}


def short_name(module_path: str) -> str:
    """Short log label of a module path (``mlp_extractor.policy_net.0`` -> ``pi``).

    SB3's stdout table truncates keys at 36 characters, so paths are abbreviated: known
    container names are shortened or dropped, as are ``nn.Sequential`` indices.
    """
    parts: list[str] = []
    for segment in module_path.split("."):
        label = _SHORT.get(segment, segment)
        if label and not label.isdigit() and (not parts or parts[-1] != label):
            parts.append(label)
    return "/".join(parts) or "net"


def named_routed_layers(policy: nn.Module) -> dict[str, RoutedLayer]:
    """MoE layers of ``policy`` keyed by a short, unique label."""
    layers: dict[str, RoutedLayer] = {}
    for path, module in policy.named_modules():
        if isinstance(module, RoutedLayer) and not path.startswith(
            ("critic_target", "q_net_target", "quantile_net_target", "actor_target")
        ):
            name = short_name(path)
            layers[name if name not in layers else f"{name}{len(layers)}"] = module
    return layers


class MoELoggingCallback(BaseCallback):
    """Log per-expert load, router entropy and each aux loss of every MoE layer.

    Values are means over the training forwards since the previous record, written to SB3's
    logger (stdout, CSV, TensorBoard, whichever are configured) as
    ``moe/<layer>/load_<e>`` and ``moe/<layer>/aux/<loss>`` (``aux/entropy`` is the router
    entropy [nat]). They are recorded at the end of each rollout, so they land in the same
    dump as the ``train/`` values of the update they describe. At the end of training the
    last update's values are recorded and dumped (SB3 itself would drop them). The layers
    accumulate statistics only while the callback is training them (``track_stats``).

    With ``feature_stats_interval > 0`` it also records, at most once per that many env
    steps, each expert's dormant-neuron fractions and effective rank
    (``moe/<layer>/dormant_tau0_<e>``, ``dormant_tau0.1_<e>``, ``srank_<e>``; see
    :mod:`wmoe.moe_policies.feature_stats`) on the last training batch that reached the
    layer.

    Args:
        feature_stats_interval: Env steps between dormant-neuron and feature-rank
            statistics; 0 (the default) never computes them.
        verbose: SB3 verbosity.
    """

    def __init__(self, feature_stats_interval: int = 0, verbose: int = 0) -> None:
        super().__init__(verbose)
        if feature_stats_interval < 0:
            raise ValueError(f"feature_stats_interval must be >= 0, got {feature_stats_interval}")
        self.feature_stats_interval = feature_stats_interval
        self._feature_stats_at: int | None = None

    def _on_training_start(self) -> None:
        for layer in named_routed_layers(self.model.policy).values():
            layer.stats.reset()
            layer.track_stats = True
            layer.capture_input = self.feature_stats_interval > 0

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        self.record()

    def _on_training_end(self) -> None:
        self.record()
        self.logger.dump(self.num_timesteps)
        for layer in named_routed_layers(self.model.policy).values():
            layer.track_stats = False
            layer.capture_input = False
            layer.last_input = None

    def record(self) -> None:
        """Record (and reset) the accumulated statistics of every MoE layer.

        Adds the feature statistics when they are due and some layer has captured a batch.
        """
        layers = named_routed_layers(self.model.policy)
        for name, layer in layers.items():
            for key, value in layer.stats.pop().items():
                self.logger.record(f"moe/{name}/{key}", value)
        if not self._feature_stats_due():
            return
        recorded = False
        for name, layer in layers.items():
            for key, value in layer.feature_stats().items():
                self.logger.record(f"moe/{name}/{key}", value)
                recorded = True
        if recorded:
            self._feature_stats_at = self.num_timesteps

    def _feature_stats_due(self) -> bool:
        if self.feature_stats_interval == 0:
            return False
        last = self._feature_stats_at
        return last is None or self.num_timesteps - last >= self.feature_stats_interval
