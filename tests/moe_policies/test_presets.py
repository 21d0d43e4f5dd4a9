"""Network presets: each MoE preset has a plain preset of its size; matched specs build."""

from __future__ import annotations

import pytest
from torch import nn

from wmoe.moe_policies.presets import MATCHED_PLAIN, PRESETS
from wmoe.moe_policies.spec import NetworkSpec, build_body


def _parameters(spec: NetworkSpec, in_dim: int) -> int:
    return sum(p.numel() for p in build_body(spec, in_dim, nn.Tanh).parameters())


def test_every_single_gate_moe_preset_has_a_matched_plain_preset() -> None:
    moe = {name for name, spec in PRESETS.items() if spec.is_moe and not spec.router.multi_gate}
    assert moe - {"table7-moe-top1", "table7-moe-top2"} == set(MATCHED_PLAIN)


@pytest.mark.parametrize(("moe", "plain"), sorted(MATCHED_PLAIN.items()))
@pytest.mark.parametrize("in_dim", [2, 8, 20, 64, 128, 200])
def test_matched_plain_presets_are_within_5_percent(moe: str, plain: str, in_dim: int) -> None:
    assert not PRESETS[plain].is_moe
    ratio = _parameters(PRESETS[plain], in_dim) / _parameters(PRESETS[moe], in_dim)
    assert abs(ratio - 1.0) < 0.05
    assert PRESETS[plain].out_dim == PRESETS[moe].out_dim


def test_a_matched_spec_is_a_two_layer_mlp_sized_to_its_target() -> None:
    spec = PRESETS["mlp-matched-soft"]
    body = build_body(spec, 128, nn.ReLU)
    widths = [m.out_features for m in body if isinstance(m, nn.Linear)]
    assert widths == list(spec.matched_widths(128, nn.ReLU)) and widths[-1] == 64
    target = _parameters(PRESETS["moe-soft"], 128)
    assert abs(_parameters(spec, 128) - target) <= 128 + 1 + 64
    with pytest.raises(ValueError, match="takes its widths from `match`"):
        NetworkSpec(stem=(8,), match=PRESETS["moe-soft"])
    with pytest.raises(ValueError, match="got a plain network"):
        NetworkSpec(stem=(), match=PRESETS["mlp"])
    with pytest.raises(ValueError, match="mlp-matched-\\* presets"):
        NetworkSpec.from_dict({"match": "moe-soft"})


def test_a_fingerprint_holds_only_what_differs_from_the_defaults() -> None:
    assert NetworkSpec().fingerprint() == {}
    assert PRESETS["moe-soft"].fingerprint() == {
        "stem": (),
        "experts": (64, 64),
        "router": {"kind": "soft"},
    }
    # An option added with a default (e.g. a new aux loss at 0) leaves fingerprints alone.
    assert "aux" not in PRESETS["moe-top2"].fingerprint()
