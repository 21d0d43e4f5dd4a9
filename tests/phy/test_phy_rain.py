"""Tests for wmoe.phy.rain against ITU-R P.838-3 Table 5 and P.618 limits."""

from __future__ import annotations

import numpy as np
import pytest

from wmoe.phy.rain import rain_attenuation_db, rain_coefficients, rain_height_km


@pytest.mark.parametrize(
    ("f_ghz", "k_h", "a_h", "k_v", "a_v"),
    [
        (10.0, 0.01217, 1.2571, 0.01129, 1.2156),
        (20.0, 0.09164, 1.0568, 0.09611, 0.9847),
        (30.0, 0.2403, 0.9485, 0.2291, 0.9129),
    ],
)
def test_coefficients_match_p838_table_5(
    f_ghz: float, k_h: float, a_h: float, k_v: float, a_v: float
) -> None:
    # Horizontal: elevation 0, tilt 0; vertical: elevation 0, tilt 90.
    k, alpha = rain_coefficients(f_ghz * 1e9, 0.0, 0.0)
    assert (float(k), float(alpha)) == pytest.approx((k_h, a_h), rel=2e-3)
    k, alpha = rain_coefficients(f_ghz * 1e9, 0.0, 90.0)
    assert (float(k), float(alpha)) == pytest.approx((k_v, a_v), rel=2e-3)


def test_rain_height_model() -> None:
    assert rain_height_km(5.0) == pytest.approx(5.36)
    assert rain_height_km(43.0) == pytest.approx(5.0 - 1.5 + 0.36)


def test_attenuation_limits() -> None:
    rates = np.array([0.0, 1.0, 10.0, 50.0])
    attenuation = rain_attenuation_db(rates, 20e9, 40.0, 5.0)
    assert attenuation[0] == 0.0
    assert np.all(np.diff(attenuation) > 0)
    # Never more than the specific attenuation over the whole slant path below the rain height.
    k, alpha = rain_coefficients(20e9, 40.0)
    slant = 5.36 / np.sin(np.deg2rad(40.0))
    assert np.all(attenuation <= k * rates**alpha * slant * 1.5)
    # Lower elevation, longer path: more attenuation; S band: far less than Ka band.
    assert rain_attenuation_db(10.0, 20e9, 20.0, 5.0) > rain_attenuation_db(10.0, 20e9, 60.0, 5.0)
    assert rain_attenuation_db(10.0, 2e9, 40.0, 5.0) < 0.05 * attenuation[2]
    with pytest.raises(ValueError, match=r"elevation_deg must lie in \[5, 90\]"):
        rain_attenuation_db(1.0, 20e9, 2.0, 5.0)
