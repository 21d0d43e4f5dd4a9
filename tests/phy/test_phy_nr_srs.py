"""Wideband SRS SNR measurements (:mod:`wmoe.phy.nr_srs`) against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.phy.nr_srs import (
    SRS_SNR_HIGH_DB,
    SRS_SNR_LOW_DB,
    normalized_srs_snr,
    quantize_srs_snr_db,
    srs_snr_db,
)


def test_srs_snr_splits_the_power_over_the_ports():
    # 110 dB transmit SNR over 4 ports (-6.02 dB each) and a -100 dB gain: 3.98 dB.
    snr = srs_snr_db(1e11, np.array([-100.0, -np.inf]), 4)
    assert snr[0] == pytest.approx(110.0 - 10.0 * np.log10(4.0) - 100.0, abs=1e-12)
    assert snr[1] == -np.inf
    assert srs_snr_db(1e11, np.array(-100.0), 1) == pytest.approx(10.0)


def test_quantisation_rounds_to_the_step_and_clips():
    snr = np.array([-np.inf, -40.0, -30.2, -29.7, 12.26, 12.5, 13.5, 69.6, 75.0, np.inf])
    expected = np.array([-30.0, -30.0, -30.0, -30.0, 12.0, 12.0, 14.0, 70.0, 70.0, 70.0])
    np.testing.assert_array_equal(quantize_srs_snr_db(snr, 1.0), expected)
    coarse = quantize_srs_snr_db(np.array([-7.4, -7.6, 0.9, 1.1, 20.9]), 2.0)
    np.testing.assert_array_equal(coarse, [-8.0, -8.0, 0.0, 2.0, 20.0])
    # Every output lies on the step grid or at a range edge.
    values = quantize_srs_snr_db(np.linspace(-50.0, 90.0, 1001), 3.0)
    on_grid = np.isclose(values / 3.0, np.round(values / 3.0))
    at_edge = np.isin(values, [SRS_SNR_LOW_DB, SRS_SNR_HIGH_DB])
    assert np.all(on_grid | at_edge)


def test_normalisation_maps_the_range_onto_the_unit_interval():
    out = normalized_srs_snr(np.array([SRS_SNR_LOW_DB, 20.0, SRS_SNR_HIGH_DB]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: srs_snr_db(0.0, np.zeros(1), 2), "tx_snr"),
        (lambda: srs_snr_db(1.0, np.zeros(1), 0), "num_ue_ports"),
        (lambda: quantize_srs_snr_db(np.zeros(1), 0.0), "step_db"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
