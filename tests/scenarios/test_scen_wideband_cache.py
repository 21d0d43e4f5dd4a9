"""Per-sub-band Gram and interferer caches: zero delay spread, cache keys, round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wmoe.scenarios import channel_cache, deepmimo_loader
from wmoe.scenarios.channel_cache import Subbands
from wmoe.scenarios.deepmimo_loader import ArrayConfig

ARRAYS = ArrayConfig()
SUBSET = deepmimo_loader.UserSubset(stride=7)
INTERFERERS = np.array([4, 0, 31])


def test_zero_delay_spread_gives_the_narrowband_gram_on_every_subband(
    small_scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    narrowband = channel_cache.compute_uplink_grams(small_scenario, ARRAYS, SUBSET)
    wideband = channel_cache.compute_uplink_grams(small_scenario, ARRAYS, SUBSET, Subbands(4))
    assert wideband.gram.shape == (*narrowband.gram.shape[:2], 4, 4, 4)
    spread = np.abs(wideband.gram - narrowband.gram[:, :, None]).max()
    assert spread > 1e-3 * np.abs(narrowband.gram).max()  # the paths' delays differ

    original = deepmimo_loader.frequency_response

    def same_delays(gains, delay_s, offsets_hz):
        return original(gains, np.where(np.isnan(delay_s), np.nan, 1e-6), offsets_hz)

    monkeypatch.setattr(deepmimo_loader, "frequency_response", same_delays)
    flat = channel_cache.compute_uplink_grams(small_scenario, ARRAYS, SUBSET, Subbands(4))
    scale = np.abs(narrowband.gram).max()
    for s in range(4):
        np.testing.assert_allclose(flat.gram[:, :, s], narrowband.gram, atol=1e-5 * scale)


def test_cache_keys(small_scenario: Path, tmp_path: Path) -> None:
    legacy = channel_cache.cache_path(small_scenario, ARRAYS, tmp_path, SUBSET)
    assert channel_cache.cache_path(small_scenario, ARRAYS, tmp_path, SUBSET, Subbands()) == legacy
    # One sub-band is the carrier whatever the bandwidth: the narrowband key.
    one = Subbands(1, 20e6)
    assert channel_cache.cache_path(small_scenario, ARRAYS, tmp_path, SUBSET, one) == legacy
    others = {
        channel_cache.cache_path(small_scenario, ARRAYS, tmp_path, SUBSET, Subbands(4)),
        channel_cache.cache_path(small_scenario, ARRAYS, tmp_path, SUBSET, Subbands(4, 20e6)),
        channel_cache.cache_path(small_scenario, ARRAYS, tmp_path, SUBSET, None, INTERFERERS),
        channel_cache.cache_path(small_scenario, ARRAYS, tmp_path, SUBSET, None, INTERFERERS[:2]),
    }
    assert len(others) == 4 and legacy not in others


def test_interferer_terms_round_trip(
    small_scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = channel_cache.load_uplink_grams(
        small_scenario, ARRAYS, tmp_path, SUBSET, Subbands(2), INTERFERERS
    )
    terms = first.interferers
    assert terms is not None
    users, num_bs = first.gram.shape[:2]
    assert terms.cross.shape == (users, num_bs, 2, 4, 3) and terms.gram.shape == (num_bs, 2, 3, 3)
    np.testing.assert_allclose(np.linalg.norm(terms.precoder, axis=1), 1.0, rtol=1e-12)
    # The serving BS is each interferer's strongest (its Gram's trace, summed over sub-bands).
    energy = np.trace(first.gram[INTERFERERS], axis1=-2, axis2=-1).real.sum(axis=-1)
    np.testing.assert_array_equal(terms.serving_bs, energy.argmax(axis=1))
    # An interferer's own cross term is its Gram times its precoder: H^H (H v).
    own = np.einsum("mbsij,mj->mbsi", first.gram[INTERFERERS].astype(complex), terms.precoder)
    cross = terms.cross[INTERFERERS, :, :, :, np.arange(3)]
    np.testing.assert_allclose(cross, own, atol=1e-5 * np.abs(own).max())
    monkeypatch.setattr(channel_cache, "compute_uplink_grams", _forbid)
    again = channel_cache.load_uplink_grams(
        small_scenario, ARRAYS, tmp_path, SUBSET, Subbands(2), INTERFERERS
    )
    assert again.interferers is not None
    for name in ("users", "serving_bs", "precoder", "cross", "gram"):
        np.testing.assert_array_equal(getattr(again.interferers, name), getattr(terms, name))
    np.testing.assert_array_equal(again.gram, first.gram)


def _forbid(*_args, **_kwargs):
    raise AssertionError("compute_uplink_grams was called although a valid cache exists")
