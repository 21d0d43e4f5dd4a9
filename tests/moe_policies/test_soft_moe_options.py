"""Soft MoE tokenisation options: flattened output tokens and normalised logits."""

from __future__ import annotations

import pytest
import torch
from stable_baselines3 import PPO
from torch import nn

from wmoe.moe_policies.layers import SoftMoELayer
from wmoe.moe_policies.presets import PRESETS
from wmoe.moe_policies.sb3_policies import MoEActorCriticPolicy
from wmoe.moe_policies.spec import NetworkSpec, RouterSpec, build_body, build_moe_block

torch.set_num_threads(1)


def _soft(flatten: bool = False, normalize: bool = False) -> SoftMoELayer:
    torch.manual_seed(0)
    spec = NetworkSpec(
        stem=(),
        experts=(12, 5),
        router=RouterSpec(
            kind="soft", num_tokens=3, flatten_tokens=flatten, normalize_tokens=normalize
        ),
    )
    block = build_moe_block(spec, 6, nn.ReLU)
    assert isinstance(block, SoftMoELayer)
    return block


def test_flattened_tokens_concatenate_what_the_default_averages() -> None:
    x = torch.randn(7, 6)
    mean, flat = _soft().eval(), _soft(flatten=True).eval()
    assert (mean.out_dim, flat.out_dim) == (5, 15)
    flat_out = flat(x)
    assert flat_out.shape == (7, 15)
    torch.testing.assert_close(flat_out.view(7, 3, 5).mean(dim=1), mean(x))


def test_flattened_spec_output_width_reaches_the_heads() -> None:
    spec = NetworkSpec(
        stem=(16,), experts=(8,), router=RouterSpec(kind="soft", num_tokens=4, flatten_tokens=True)
    )
    assert spec.out_dim == 32
    assert build_body(spec, 3, nn.ReLU)(torch.randn(2, 3)).shape == (2, 32)
    network = {"preset": "moe-soft", "router": {"flatten_tokens": True, "num_tokens": 2}}
    model = PPO(
        MoEActorCriticPolicy,
        "CartPole-v1",
        n_steps=16,
        batch_size=16,
        n_epochs=1,
        seed=0,
        policy_kwargs={"network": network},
    )
    model.learn(16)
    assert model.policy.mlp_extractor.latent_dim_pi == 128


def test_normalised_logits_are_scaled_cosines_and_the_scale_learns() -> None:
    block = _soft(normalize=True).train()
    assert block.logit_scale is not None and float(block.logit_scale.detach()) == 1.0
    x = torch.randn(9, 6)
    tokens = block.tokenizer(x).view(9, 3, 6)
    logits = block._logits(tokens)
    cosines = nn.functional.cosine_similarity(
        tokens.unsqueeze(2), block.slot_embeddings.view(1, 1, -1, 6), dim=-1
    )
    torch.testing.assert_close(logits, cosines)
    block(x).square().sum().backward()
    assert block.logit_scale.grad is not None and float(block.logit_scale.grad.abs()) > 0


def test_normalised_routing_ignores_the_slot_embeddings_norm() -> None:
    x = torch.randn(9, 6)
    for normalize in (False, True):
        block = _soft(normalize=normalize).eval()
        before = block(x)
        with torch.no_grad():
            block.slot_embeddings.mul_(5.0)
        assert torch.allclose(block(x), before) == normalize


def test_defaults_keep_todays_soft_moe() -> None:
    block = build_moe_block(PRESETS["moe-soft"], 6, nn.ReLU)
    assert isinstance(block, SoftMoELayer)
    assert block.logit_scale is None and not block.flatten_tokens and block.out_dim == 64
    assert "logit_scale" not in block.state_dict()
    assert PRESETS["moe-soft"].fingerprint()["router"] == {"kind": "soft"}


@pytest.mark.parametrize("option", ["flatten_tokens", "normalize_tokens"])
def test_soft_options_need_a_soft_router(option: str) -> None:
    with pytest.raises(ValueError, match="soft MoE options"):
        RouterSpec(kind="top_k", **{option: True})
