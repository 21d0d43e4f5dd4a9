"""Declarative network specifications and the builder that turns them into modules.

A :class:`NetworkSpec` describes a *body*: dense ``stem`` layers, then optionally one MoE
block whose experts are MLPs of widths ``experts``. Heads (action means, Q-values) are added
by the SB3 policies. Specs are plain frozen dataclasses, so they pickle with a saved model
and can be written as YAML mappings (see :meth:`NetworkSpec.from_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

from torch import nn

from wmoe.moe_policies.aux_losses import AuxLossCoefficients
from wmoe.moe_policies.layers import (
    MoELayer,
    MultiGateMoELayer,
    SoftMoELayer,
    mlp,
)
from wmoe.moe_policies.routers import HierarchicalRouter, TopKRouter

ROUTER_KINDS: tuple[str, ...] = (
    "dense",
    "top_k",
    "noisy_top_k",
    "soft",
    "hierarchical",
    "random",
)


@dataclass(frozen=True)
class RouterSpec:
    """How an MoE block routes.

    Attributes:
        kind: One of :data:`ROUTER_KINDS` (``random``: a top-k gate frozen at its random
            initialisation, the control for learned routing).
        num_experts: ``E`` (for ``hierarchical``: all experts, ``num_groups`` equal groups).
        top_k: Experts per sample (``top_k``/``noisy_top_k``/``random``), or per selected group
            (``hierarchical``).
        num_groups: Groups of the hierarchical router.
        group_top_k: Groups selected per sample by the hierarchical router.
        num_tokens: Tokens per sample (``soft``).
        slots_per_expert: Slots per expert (``soft``).
        capacity_factor: Expert capacity factor in training (sparse routers), or None.
        multi_gate: Shared experts with one gate per head (MMoE, survey eq. 7).
        flatten_tokens: ``soft`` only: concatenate the tokens' outputs instead of averaging
            them, so the block's output width is ``num_tokens`` times the expert width
            (dopamine ``labs/moes``, Obando-Ceron et al. 2024).
        normalize_tokens: ``soft`` only: l2-normalise tokens and slot embeddings in the
            router logits, with a learned scale (Puigcerver et al. 2024, Sec. 2.3).
    """

    kind: str = "top_k"
    num_experts: int = 4
    top_k: int = 2
    num_groups: int = 2
    group_top_k: int = 1
    num_tokens: int = 8
    slots_per_expert: int = 1
    capacity_factor: float | None = None
    multi_gate: bool = False
    flatten_tokens: bool = False
    normalize_tokens: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ROUTER_KINDS:
            raise ValueError(f"unknown router kind {self.kind!r}; valid: {', '.join(ROUTER_KINDS)}")
        if self.num_experts < 1:
            raise ValueError(f"num_experts must be >= 1, got {self.num_experts}")
        if self.kind == "hierarchical" and self.num_experts % self.num_groups:
            raise ValueError(
                f"hierarchical routing needs num_experts ({self.num_experts}) divisible by "
                f"num_groups ({self.num_groups})"
            )
        if self.kind == "soft" and (self.multi_gate or self.capacity_factor is not None):
            raise ValueError("soft MoE has neither multi_gate nor capacity_factor")
        if self.kind != "soft" and (self.flatten_tokens or self.normalize_tokens):
            raise ValueError(
                f"flatten_tokens and normalize_tokens are soft MoE options; got kind={self.kind!r}"
            )


@dataclass(frozen=True)
class NetworkSpec:
    """A body network: dense ``stem`` layers, then an optional MoE block.

    Attributes:
        stem: Widths of dense layers applied first (the whole net when ``experts`` is empty).
        experts: Widths of each expert MLP; empty for a plain MLP.
        router: Routing of the MoE block.
        aux: Auxiliary router loss coefficients.
        match: An MoE body to match instead of fixed widths: the net is then a plain MLP
            ``in -> h -> out`` whose ``h`` gives it the total parameter count that ``match``
            has on the same input width (within one unit of ``h``), and the same output
            width. The comparison of an MoE with a plain network of its size.
    """

    stem: tuple[int, ...] = (64, 64)
    experts: tuple[int, ...] = ()
    router: RouterSpec = field(default_factory=RouterSpec)
    aux: AuxLossCoefficients = field(default_factory=AuxLossCoefficients)
    match: NetworkSpec | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "stem", tuple(int(w) for w in self.stem))
        object.__setattr__(self, "experts", tuple(int(w) for w in self.experts))
        if self.match is not None:
            if self.stem or self.experts:
                raise ValueError("a matched network takes its widths from `match`; drop stem")
            if not self.match.is_moe:
                raise ValueError("`match` names the MoE body to match; got a plain network")
            return
        if not self.stem and not self.experts:
            raise ValueError("a network needs at least one layer (stem or experts)")
        if any(w < 1 for w in self.stem + self.experts):
            raise ValueError(f"layer widths must be >= 1, got {self.stem + self.experts}")
        router = self.router
        noisy_sparse = router.kind == "noisy_top_k" and router.top_k < router.num_experts
        if self.is_moe and self.aux.load and not noisy_sparse:
            raise ValueError(
                f"aux.load (Shazeer et al.'s load loss) needs router kind 'noisy_top_k' with "
                f"top_k < num_experts; got kind={router.kind!r}, top_k={router.top_k}, "
                f"num_experts={router.num_experts}. Set aux.load to 0 or change the router"
            )

    @property
    def is_moe(self) -> bool:
        """Whether the body has an MoE block."""
        return bool(self.experts)

    @property
    def out_dim(self) -> int:
        """Width of the body's output."""
        if self.match is not None:
            return self.match.out_dim
        if self.is_moe and self.router.kind == "soft" and self.router.flatten_tokens:
            return self.experts[-1] * self.router.num_tokens
        return (self.stem + self.experts)[-1]

    def matched_widths(self, in_dim: int, activation: type[nn.Module]) -> tuple[int, int]:
        """``(h, out)`` of the plain MLP matching :attr:`match` on inputs of width ``in_dim``.

        An MLP ``in -> h -> out`` has ``h (in + 1 + out) + out`` parameters; ``h`` is the
        nearest width to the matched body's parameter count.
        """
        if self.match is None:
            raise ValueError("matched_widths needs a spec with `match`")
        target = sum(p.numel() for p in build_body(self.match, in_dim, activation).parameters())
        out = self.match.out_dim
        return max(1, round((target - out) / (in_dim + 1 + out))), out

    def as_mlp(self) -> NetworkSpec:
        """The plain MLP with the same layer widths (an expert's size, no routing)."""
        return replace(self, stem=self.stem + self.experts, experts=())

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for YAML, logs)."""
        return asdict(self)

    def fingerprint(self) -> dict[str, Any]:
        """The fields that differ from their defaults, nested: what makes this network itself.

        Adding a field with a default (a new option) leaves every existing spec's
        fingerprint as it was; changing a value changes it. The benchmark store keys cells
        by it.
        """
        return _non_default_fields(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: NetworkSpec | None = None) -> NetworkSpec:
        """Build a spec from a mapping, overriding ``base`` (default: the defaults).

        Raises:
            ValueError: On an unknown key (the message lists the valid ones).
        """
        base = base or cls()
        if "match" in data:
            raise ValueError("network.match is set by the mlp-matched-* presets; name one of them")
        _check_keys(data, cls, "network")
        router = dict(data.get("router", {}))
        aux = dict(data.get("aux", {}))
        _check_keys(router, RouterSpec, "network.router")
        _check_keys(aux, AuxLossCoefficients, "network.aux")
        return replace(
            base,
            stem=tuple(data.get("stem", base.stem)),
            experts=tuple(data.get("experts", base.experts)),
            router=replace(base.router, **router),
            aux=replace(base.aux, **aux),
        )


def _non_default_fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields that differ from their defaults, nested dataclasses recursively.

    A changed default is not seen (only values that differ from today's defaults are).
    """
    differing: dict[str, Any] = {}
    for item in fields(value):
        current = getattr(value, item.name)
        default = item.default_factory() if item.default_factory is not MISSING else item.default
        if current == default:
            continue
        is_nested = is_dataclass(current) and not isinstance(current, type)
        differing[item.name] = _non_default_fields(current) if is_nested else current
    return differing


def _check_keys(data: Mapping[str, Any], cls: type, where: str) -> None:
    valid = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - valid)
    if unknown:
        raise ValueError(f"unknown {where} key(s) {unknown}; valid: {', '.join(sorted(valid))}")


def _router(spec: RouterSpec, in_dim: int) -> TopKRouter | HierarchicalRouter:
    if spec.kind == "hierarchical":
        return HierarchicalRouter(
            in_dim,
            spec.num_groups,
            spec.num_experts // spec.num_groups,
            spec.group_top_k,
            spec.top_k,
        )
    k = spec.num_experts if spec.kind == "dense" else spec.top_k
    return TopKRouter(
        in_dim,
        spec.num_experts,
        k,
        noisy=spec.kind == "noisy_top_k",
        frozen=spec.kind == "random",
    )


def build_moe_block(
    spec: NetworkSpec,
    in_dim: int,
    activation: type[nn.Module],
    num_heads: int = 1,
    router_dim: int | None = None,
) -> MoELayer | SoftMoELayer | MultiGateMoELayer:
    """The MoE block of ``spec`` on inputs of width ``in_dim``.

    ``num_heads > 1`` (or ``router.multi_gate``) builds a multi-gate layer with one gate
    per head. ``router_dim`` builds a :class:`MoELayer` whose router reads a separate input of
    that width (``MoELayer.forward(x, router_input)``).
    """
    router = spec.router
    if router_dim is not None:
        if router.kind == "soft" or router.multi_gate:
            raise ValueError(
                f"a separate router input needs a dense, top-k, noisy top-k or hierarchical "
                f"router; got kind={router.kind!r}, multi_gate={router.multi_gate}"
            )
        return MoELayer(
            in_dim,
            spec.experts,
            _router(router, router_dim),
            activation,
            spec.aux,
            router.capacity_factor,
        )
    if router.kind == "soft":
        return SoftMoELayer(
            in_dim,
            spec.experts,
            router.num_experts,
            router.num_tokens,
            router.slots_per_expert,
            activation,
            spec.aux,
            flatten_tokens=router.flatten_tokens,
            normalize=router.normalize_tokens,
        )
    if router.multi_gate:
        gates = [_router(router, in_dim) for _ in range(num_heads)]
        return MultiGateMoELayer(in_dim, spec.experts, gates, activation, spec.aux)
    return MoELayer(
        in_dim, spec.experts, _router(router, in_dim), activation, spec.aux, router.capacity_factor
    )


def build_body(spec: NetworkSpec, in_dim: int, activation: type[nn.Module]) -> nn.Sequential:
    """The body module of ``spec``: stem then MoE block; output width ``spec.out_dim``.

    Raises:
        ValueError: For a multi-gate spec, which needs a policy with several heads.
    """
    if spec.router.multi_gate and spec.is_moe:
        raise ValueError(
            "a multi-gate (mmoe) network shares its experts between several heads; use it "
            "with an actor-critic policy (ppo, a2c, ppo_mask)"
        )
    if spec.match is not None:
        return mlp(in_dim, spec.matched_widths(in_dim, activation), activation)
    stem = mlp(in_dim, spec.stem, activation)
    if not spec.is_moe:
        return stem
    block_in = spec.stem[-1] if spec.stem else in_dim
    return nn.Sequential(*stem, build_moe_block(spec, block_in, activation))
