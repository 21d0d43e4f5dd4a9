"""``wmoe/MultiBSReception-v0`` with the NR options: TPMI codebook, MCS ceiling, power control."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import wmoe  # noqa: F401
from wmoe.config import ConfigError
from wmoe.phy.nr_mcs import MCS_TABLE_64QAM, MCS_TABLE_256QAM
from wmoe.phy.receivers import effective_gram, mmse_sinr_from_gram

ENV_ID = "wmoe/MultiBSReception-v0"


def make_core(config: dict[str, Any], **overrides: Any) -> Any:
    return gym.make(ENV_ID, config={**config, **overrides}).unwrapped.core


def layer_rates(core: Any, gram: np.ndarray) -> np.ndarray:
    """Uncapped per-layer Shannon rates (B, C, r_max) by the generic effective Gram."""
    sinr = mmse_sinr_from_gram(effective_gram(gram[:, None], core.codebook.matrices))
    return np.log2(1.0 + sinr)


@pytest.mark.parametrize(
    ("overrides", "codewords"),
    [
        ({"codebook": "tpmi"}, 62),
        ({"codebook": "tpmi", "ue_antennas": 2, "max_rank": 2}, 9),
        ({"codebook": "tpmi", "max_rank": 2}, 50),
        ({"codebook_dedup": True}, 26),
    ],
)
def test_codeword_rates_equal_generic_effective_gram(reception_config, overrides, codewords):
    core = make_core(reception_config, **overrides)
    assert core.codebook.num_codewords == codewords
    users = np.arange(25)
    gram = core.set_gram(users, (users * 31) % core.num_sets)
    expected = layer_rates(core, gram).sum(axis=-1)
    np.testing.assert_allclose(core.codeword_rates(gram), expected, rtol=1e-9, atol=1e-9)


def test_dedup_keeps_the_oracle_rate(reception_config):
    full = make_core(reception_config)
    dedup = make_core(reception_config, codebook_dedup=True)
    users = np.arange(0, 40, 4)
    np.testing.assert_allclose(dedup.oracle(users)[2], full.oracle(users)[2], rtol=1e-12)


@pytest.mark.parametrize("table", [MCS_TABLE_64QAM, MCS_TABLE_256QAM])
def test_se_ceiling_caps_every_layer_in_reward_oracle_and_expert(reception_config, table):
    core = make_core(reception_config, se_ceiling=table.name, codebook="tpmi")
    users = np.arange(30)
    gram = core.set_gram(users, (users * 7) % core.num_sets)
    uncapped = layer_rates(core, gram)
    assert uncapped.max() > table.max_spectral_efficiency  # the cap binds in this scenario
    expected = np.minimum(uncapped, table.max_spectral_efficiency).sum(axis=-1)
    np.testing.assert_allclose(core.codeword_rates(gram), expected, rtol=1e-9, atol=1e-9)
    # The one rate function serves the step's reward and the oracle alike.
    result = core.evaluate(users, (users * 7) % core.num_sets, None)
    np.testing.assert_allclose(result.expert_rate, expected.max(axis=1), rtol=1e-9)
    oracle_rate = core.oracle(users[:3])[2]
    assert np.all(oracle_rate <= core.codebook.ranks.max() * table.max_spectral_efficiency)


def test_env_reward_is_capped(reception_config):
    env = gym.make(ENV_ID, config={**reception_config, "se_ceiling": "mcs-64qam"}).unwrapped
    env.reset(seed=0)
    rank_one = 0  # a rank-1 DFT codeword carries one layer: at most 5.5547 bit/s/Hz
    for _ in range(10):
        _, reward, _, _, _ = env.step(3 * env.core.codebook.num_codewords + rank_one)
        assert reward <= MCS_TABLE_64QAM.max_spectral_efficiency + 1e-12


def test_interferer_bandwidth_term_closed_form(reception_config):
    base = make_core(reception_config)
    core = make_core(reception_config, interferer_num_rb=273, subcarrier_spacing_khz=30)
    rng = np.random.default_rng(0)  # interferer_seed
    interferers = rng.choice(core.num_users, size=6, replace=False)
    gain_db = core.channels.mean_gain_db[interferers].astype(np.float64)
    path_loss_db = -gain_db.max(axis=1)
    power_dbm = np.minimum(23.0, -80.0 + 10.0 * np.log10(2 * 273) + 0.8 * path_loss_db)
    noise_dbm = 23.0 - 10.0 * np.log10(core.snr_scale)
    interference_mw = (10.0 ** ((power_dbm[:, None] + gain_db - noise_dbm) / 10.0)).sum(axis=0)
    expected_iot_db = 10.0 * np.log10(1.0 + interference_mw)
    np.testing.assert_allclose(core.interference_over_thermal_db, expected_iot_db, rtol=1e-5)
    assert np.all(core.interference_over_thermal_db >= base.interference_over_thermal_db)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (
            {"codebook": "tpmi", "ue_antennas": 3, "max_rank": 3},
            "codebook='tpmi' needs ue_antennas",
        ),
        ({"se_ceiling": "mcs-1024qam"}, r"config\['se_ceiling'\]='mcs-1024qam' is invalid"),
        ({"interferer_num_rb": 276}, r"config\['interferer_num_rb'\]=276 is invalid"),
        ({"interferer_num_rb": 0}, r"config\['interferer_num_rb'\]=0 is invalid"),
        ({"interferer_num_rb": 2.5}, r"config\['interferer_num_rb'\]=2.5 is invalid"),
        ({"subcarrier_spacing_khz": 45}, r"config\['subcarrier_spacing_khz'\]=45 is invalid"),
        (
            {"interferer_num_rb": 273, "subcarrier_spacing_khz": 60},
            r"interferer_num_rb=273 resource blocks .* more than bandwidth_hz",
        ),
        ({"codebook_dedup": "yes"}, r"config\['codebook_dedup'\]='yes' is invalid"),
    ],
)
def test_bad_nr_config_raises_naming_the_key(reception_config, overrides, match):
    with pytest.raises(ConfigError, match=match):
        gym.make(ENV_ID, config={**reception_config, **overrides})
