"""SB3 callback that logs routing statistics of every MoE layer of a model's policy."""

from __future__ import annotations

from stable_baselines3.common.callbacks import BaseCallback
from torch import nn

from wmoe.moe_policies.layers import RoutedLayer


def named_routed_layers(policy: nn.Module) -> dict[str, RoutedLayer]:
    """MoE layers of ``policy`` keyed by a short, log-friendly module path."""
    return {
        name.replace(".", "/"): module
        for name, module in policy.named_modules()
        if isinstance(module, RoutedLayer)
    }


class MoELoggingCallback(BaseCallback):
    """Log per-expert load, router entropy and each aux loss of every MoE layer.

    Values are means over the training forwards since the previous record, written to SB3's
    logger (stdout, CSV, TensorBoard, whichever are configured) as
    ``moe/<layer>/load_<e>`` and ``moe/<layer>/aux/<loss>`` (``aux/entropy`` is the router
    entropy [nat]). They are recorded at the end of each rollout and at the end of training,
    so they land in the same dump as the ``train/`` values of the update they describe.
    """

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        self.record()

    def _on_training_end(self) -> None:
        self.record()

    def record(self) -> None:
        """Record (and reset) the accumulated statistics of every MoE layer."""
        for name, layer in named_routed_layers(self.model.policy).items():
            for key, value in layer.stats.pop().items():
                self.logger.record(f"moe/{name}/{key}", value)
