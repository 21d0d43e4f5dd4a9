"""Device placement of MoE layers, aux-loss accounting over heads and chains, the random router."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from wmoe.moe_policies.aux_losses import AuxLossCoefficients
from wmoe.moe_policies.layers import MultiGateMoELayer, RoutedLayer, scaled_aux
from wmoe.moe_policies.presets import PRESETS
from wmoe.moe_policies.routers import TopKRouter
from wmoe.moe_policies.spec import NetworkSpec, RouterSpec, build_moe_block

FACTORIES = {
    torch.arange,
    torch.zeros,
    torch.ones,
    torch.empty,
    torch.full,
    torch.randn,
    torch.rand,
    torch.randint,
    torch.tensor,
    torch.as_tensor,
    torch.eye,
}
SPECS: dict[str, NetworkSpec] = {
    **{name: spec for name, spec in PRESETS.items() if spec.is_moe},
    "hier-dense-groups": NetworkSpec(
        stem=(),
        experts=(8,),
        router=RouterSpec(kind="hierarchical", num_experts=6, num_groups=2, group_top_k=2),
    ),
    "hier-dense-experts": NetworkSpec(
        stem=(),
        experts=(8,),
        router=RouterSpec(kind="hierarchical", num_experts=6, num_groups=3, top_k=2),
    ),
    "top1-capacity": NetworkSpec(
        stem=(), experts=(8,), router=RouterSpec(top_k=1, capacity_factor=0.5)
    ),
    "top2-capacity": NetworkSpec(
        stem=(), experts=(6,), router=RouterSpec(top_k=2, capacity_factor=0.5)
    ),
    "noisy": NetworkSpec(
        stem=(),
        experts=(8,),
        router=RouterSpec(kind="noisy_top_k"),
        aux=AuxLossCoefficients(importance=0.1, load=0.1),
    ),
    "soft-flat-norm": NetworkSpec(
        stem=(),
        experts=(8,),
        router=RouterSpec(kind="soft", flatten_tokens=True, normalize_tokens=True),
        aux=AuxLossCoefficients(importance=0.1),
    ),
}


class FactoriesWithoutDevice(TorchFunctionMode):
    """Records every tensor factory called without an explicit ``device``.

    Such a tensor lands on the CPU whatever device the layer lives on: the class of defect
    that breaks CUDA runs (index tensors on the CPU mixed with tensors on the GPU).
    """

    def __init__(self) -> None:
        super().__init__()
        self.offenders: list[str] = []

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func in FACTORIES and kwargs.get("device") is None:
            frame = traceback.extract_stack()[-2]
            self.offenders.append(f"{func.__name__} at {frame.filename}:{frame.lineno}")
        return func(*args, **kwargs)


def _run(block: nn.Module, x: torch.Tensor) -> None:
    outputs = block.forward_heads(x) if isinstance(block, MultiGateMoELayer) else [block(x)]
    torch.stack([out.sum() for out in outputs]).sum().backward()


@pytest.mark.parametrize("name", list(SPECS))
def test_forward_and_backward_create_no_tensor_off_the_layer_device(name: str) -> None:
    spec = SPECS[name]
    block = build_moe_block(spec, 6, nn.ReLU, num_heads=2 if spec.router.multi_gate else 1)
    block.train()
    for layer in block.modules():
        if isinstance(layer, RoutedLayer):
            layer.track_stats = True
    x = torch.randn(64, 6, requires_grad=True)
    with FactoriesWithoutDevice() as mode:
        _run(block, x)
    assert mode.offenders == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", list(SPECS))
def test_layers_train_on_cuda(name: str) -> None:
    spec = SPECS[name]
    block = build_moe_block(spec, 6, nn.ReLU, num_heads=2 if spec.router.multi_gate else 1)
    block = block.cuda().train()
    for layer in block.modules():
        if isinstance(layer, RoutedLayer):
            layer.track_stats = True
    x = torch.randn(64, 6, device="cuda", requires_grad=True)
    _run(block, x)
    assert x.grad is not None and x.grad.device.type == "cuda"


def _gate_gradient(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Gradient of the carried aux loss alone (the task loss is zero) on the first gate."""
    layer.zero_grad()
    outputs = layer.forward_heads(x) if isinstance(layer, MultiGateMoELayer) else [layer(x)]
    (torch.stack([out.sum() for out in outputs]).sum() * 0.0).backward()
    gate = next(m for m in layer.modules() if isinstance(m, TopKRouter)).gate
    assert gate.weight.grad is not None
    return gate.weight.grad.clone()


def test_scaled_aux_scales_the_carried_gradient_nests_and_restores() -> None:
    torch.manual_seed(0)
    spec = NetworkSpec(stem=(), experts=(8,), router=RouterSpec(top_k=2))
    block = build_moe_block(spec, 6, nn.ReLU).train()
    x = torch.randn(32, 6)
    full = _gate_gradient(block, x)
    assert full.abs().sum() > 0
    with scaled_aux(block, 0.5):
        half = _gate_gradient(block, x)
        with scaled_aux(block, 0.5):
            quarter = _gate_gradient(block, x)
    torch.testing.assert_close(half, 0.5 * full)
    torch.testing.assert_close(quarter, 0.25 * full)
    assert isinstance(block, RoutedLayer) and block.aux_scale == 1.0
    torch.testing.assert_close(_gate_gradient(block, x), full)


def test_multi_gate_record_mode_sums_every_heads_aux_loss() -> None:
    torch.manual_seed(0)
    aux = AuxLossCoefficients(load_balancing=0.5, z_loss=0.1, balance=0.3, entropy=0.2)
    spec = NetworkSpec(
        stem=(), experts=(8,), router=RouterSpec(kind="dense", multi_gate=True), aux=aux
    )
    block = build_moe_block(spec, 6, nn.ReLU, num_heads=3)
    assert isinstance(block, MultiGateMoELayer)
    block.train()
    block.aux_mode = "record"
    x = torch.randn(16, 6)
    block.forward_heads(x)
    total = block.last_aux_loss
    per_head = []
    for head in range(3):
        block.forward_heads(x, heads=[head])
        assert block.last_aux_loss is not None
        per_head.append(block.last_aux_loss)
    assert total is not None
    torch.testing.assert_close(total, torch.stack(per_head).sum())
    assert len({float(v.detach()) for v in per_head}) == 3  # the heads' gates differ


def test_random_router_never_learns_but_the_experts_do() -> None:
    torch.manual_seed(0)
    block = build_moe_block(PRESETS["moe-random"], 6, nn.ReLU).train()
    gate = next(m for m in block.modules() if isinstance(m, TopKRouter))
    assert gate.frozen and not gate.gate.weight.requires_grad
    before = gate.gate.weight.clone()
    optimiser = torch.optim.Adam(block.parameters(), lr=0.1)
    expert_before = [p.clone() for p in block.experts.parameters()]
    for _ in range(3):
        optimiser.zero_grad()
        block(torch.randn(32, 6)).square().mean().backward()
        optimiser.step()
    torch.testing.assert_close(gate.gate.weight, before)
    after = list(block.experts.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(expert_before, after, strict=True))
    with pytest.raises(ValueError, match="frozen .* has no learned noise"):
        TopKRouter(6, 4, 1, noisy=True, frozen=True)
