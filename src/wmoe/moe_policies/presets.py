"""Named network presets, usable from Python, YAML and the CLI (``--policy <name>``).

The ``table7-*`` presets are the case study's networks (survey Table VII): each expert or
network is an MLP ``20 -> 26 -> 32`` with a one-layer softmax gate for the MoE variants. The
table gives the layer widths but not how the state reaches the first width of 20, so here a
shared dense layer maps the features to 20 and the experts span ``20 -> 26 -> 32``; the
baselines are the plain MLPs ``20 -> 26 -> 32`` and ``20 -> 23 -> 26 -> 29 -> 32``.

Some options are used by no preset and default to off, so every preset stays as it was; a
mapping turns them on, e.g. Shazeer et al.'s (2017) importance and load losses
``{"preset": "moe-top2", "router": {"kind": "noisy_top_k"}, "aux": {"importance": 0.1,
"load": 0.1}}`` (the load loss needs noisy top-k routing), or Soft MoE with flattened output
tokens and normalised logits (Obando-Ceron et al. 2024; Puigcerver et al. 2024, Sec. 2.3)
``{"preset": "moe-soft", "router": {"flatten_tokens": True, "normalize_tokens": True}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wmoe.moe_policies.spec import NetworkSpec, RouterSpec

PRESETS: dict[str, NetworkSpec] = {
    "mlp": NetworkSpec(stem=(64, 64)),
    "mlp-deep": NetworkSpec(stem=(64, 64, 64, 64)),
    "moe-dense": NetworkSpec(stem=(), experts=(64, 64), router=RouterSpec(kind="dense")),
    "moe-top1": NetworkSpec(stem=(), experts=(64, 64), router=RouterSpec(top_k=1)),
    "moe-top2": NetworkSpec(stem=(), experts=(64, 64), router=RouterSpec(top_k=2)),
    "moe-soft": NetworkSpec(stem=(), experts=(64, 64), router=RouterSpec(kind="soft")),
    # The control for learned routing: moe-top1's experts behind a gate frozen at random.
    "moe-random": NetworkSpec(stem=(), experts=(64, 64), router=RouterSpec(kind="random", top_k=1)),
    "moe-hier": NetworkSpec(
        stem=(),
        experts=(64, 64),
        router=RouterSpec(kind="hierarchical", num_experts=8, num_groups=2, top_k=2),
    ),
    "mmoe": NetworkSpec(
        stem=(), experts=(64, 64), router=RouterSpec(kind="dense", multi_gate=True)
    ),
    "table7-moe-top1": NetworkSpec(stem=(20,), experts=(26, 32), router=RouterSpec(top_k=1)),
    "table7-moe-top2": NetworkSpec(stem=(20,), experts=(26, 32), router=RouterSpec(top_k=2)),
    "table7-baseline": NetworkSpec(stem=(20, 26, 32)),
    "table7-deeper": NetworkSpec(stem=(20, 23, 26, 29, 32)),
    # Parameter-matched plain net of the benchmarks: within 2 % of the moe-dense/top1/top2
    # bodies' parameters for input widths 2 to 200, and the same 64-wide output, so the
    # heads on top are identical too.
    "mlp-matched": NetworkSpec(stem=(256, 64)),
}
# Plain nets sized on the actual input width to the parameter count of an MoE body whose
# count grows differently with the input (soft MoE's tokenizer, the hierarchical router).
PRESETS["mlp-matched-soft"] = NetworkSpec(stem=(), match=PRESETS["moe-soft"])
PRESETS["mlp-matched-hier"] = NetworkSpec(stem=(), match=PRESETS["moe-hier"])

MATCHED_PLAIN: dict[str, str] = {
    "moe-dense": "mlp-matched",
    "moe-top1": "mlp-matched",
    "moe-top2": "mlp-matched",
    "moe-random": "mlp-matched",
    "moe-soft": "mlp-matched-soft",
    "moe-hier": "mlp-matched-hier",
}
"""The plain preset of the same size as each single-gate MoE preset (within 5 % for input
widths 2 to 200; checked by the tests)."""


def resolve_network(network: str | NetworkSpec | Mapping[str, Any]) -> NetworkSpec:
    """A :class:`NetworkSpec` from a preset name, a spec, or a mapping.

    A mapping may name a ``preset`` to start from and override any spec field, e.g.
    ``{"preset": "moe-top2", "router": {"num_experts": 8}}``.

    Raises:
        ValueError: On an unknown preset name or key; the message lists the valid choices.
    """
    if isinstance(network, NetworkSpec):
        return network
    if isinstance(network, str):
        if network not in PRESETS:
            raise ValueError(f"unknown network preset {network!r}; valid: {', '.join(PRESETS)}")
        return PRESETS[network]
    if isinstance(network, Mapping):
        overrides = dict(network)
        base = resolve_network(overrides.pop("preset")) if "preset" in overrides else None
        return NetworkSpec.from_dict(overrides, base)
    raise TypeError(f"network must be a preset name, NetworkSpec or mapping, got {network!r}")
