"""Tests for wmoe.phy.ntn_channel."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from wmoe.phy.ntn_channel import (
    AVERAGE_SHADOWING,
    ELEVATION_GRID_DEG,
    FREQUENT_HEAVY_SHADOWING,
    INFREQUENT_LIGHT_SHADOWING,
    NTN_BANDS,
    NTN_SCENARIOS,
    ShadowedRicianParams,
    clutter_loss_db,
    draw_ntn_large_scale_loss,
    gas_attenuation_db,
    los_probability,
    shadow_fading_std_db,
    shadowed_rician_gains,
    shadowed_rician_power_pdf,
)
from wmoe.phy.propagation import free_space_path_loss_db


def test_fspl_matches_the_3gpp_closed_form() -> None:
    distance_m = np.array([600e3, 1_200e3, 1_932e3])
    for carrier_hz in (2e9, 20e9, 30e9):
        closed_form = 32.45 + 20 * np.log10(carrier_hz / 1e9) + 20 * np.log10(distance_m)
        np.testing.assert_allclose(
            free_space_path_loss_db(distance_m, carrier_hz), closed_form, atol=0.005
        )
    rng = np.random.default_rng(0)
    loss = draw_ntn_large_scale_loss(rng, 90.0, 600e3, 20e9)
    assert float(loss.free_space_db) == pytest.approx(
        32.45 + 20 * math.log10(20 * 600e3), abs=0.005
    )


def test_tables_at_grid_points_and_midpoints() -> None:
    assert los_probability(ELEVATION_GRID_DEG, "dense_urban")[[0, -1]] == pytest.approx(
        [0.282, 0.981]
    )
    assert float(los_probability(15.0, "urban")) == pytest.approx((0.246 + 0.386) / 2)
    assert float(los_probability(85.0, "suburban_rural")) == pytest.approx((0.952 + 0.998) / 2)
    np.testing.assert_allclose(
        clutter_loss_db(ELEVATION_GRID_DEG, False, "suburban_rural", "s"),
        [19.52, 18.17, 18.42, 18.28, 18.63, 17.68, 16.50, 16.30, 16.30],
    )
    assert float(clutter_loss_db(25.0, False, "dense_urban", "ka")) == pytest.approx(
        (39.9 + 37.5) / 2
    )
    assert float(clutter_loss_db(25.0, False, "urban", "s")) == pytest.approx((30.9 + 29.0) / 2)
    sigma = shadow_fading_std_db(
        np.array([10.0, 45.0, 90.0]), np.array([True, False, True]), "suburban_rural", "ka"
    )
    np.testing.assert_allclose(sigma, [1.9, (11.6 + 11.8) / 2, 0.4])
    assert float(shadow_fading_std_db(33.0, True, "urban", "s")) == 4.0
    assert float(shadow_fading_std_db(55.0, False, "dense_urban", "s")) == pytest.approx(10.55)


def test_los_clutter_is_zero_and_shapes_broadcast() -> None:
    clutter = clutter_loss_db(np.array([[20.0], [70.0]]), np.array([True, False]), "urban", "ka")
    assert clutter.shape == (2, 2)
    np.testing.assert_allclose(clutter[:, 0], 0.0)
    np.testing.assert_allclose(clutter[:, 1], [39.9, 33.3])


def test_los_probability_is_a_probability_increasing_with_elevation() -> None:
    elevation = np.linspace(10.0, 90.0, 161)
    for scenario in NTN_SCENARIOS:
        probability = los_probability(elevation, scenario)
        assert np.all((probability >= 0.0) & (probability <= 1.0))
        assert np.all(np.diff(probability) > 0.0)


def test_gas_attenuation_matches_itur_p676_10_approximation() -> None:
    # itur 0.4.0, itu676.change_version(10), gaseous_attenuation_slant_path(f_GHz, el, 7.5,
    # 1013.25, 288.15, mode="approx"); itur adds the vapour pressure for the heights, hence 0.2 %.
    reference_db = {
        (2.0, 90.0): 0.035115729812179586,
        (12.0, 30.0): 0.12216259340409313,
        (20.0, 90.0): 0.2567375517040345,
        (22.235, 10.0): 3.015859607948232,
        (30.0, 30.0): 0.4867006791087016,
        (50.0, 10.0): 9.190100745006422,
    }
    for (f_ghz, elevation), expected in reference_db.items():
        assert float(gas_attenuation_db(elevation, f_ghz * 1e9)) == pytest.approx(
            expected, rel=2e-3
        )
    zenith = gas_attenuation_db(90.0, 20e9)
    assert float(gas_attenuation_db(30.0, 20e9)) == pytest.approx(2.0 * float(zenith))
    dry = float(gas_attenuation_db(90.0, 22.235e9, water_vapour_density_kg_m3=0.0))
    assert dry < 0.1 < float(gas_attenuation_db(90.0, 22.235e9))


def test_draw_large_scale_loss_adds_its_terms() -> None:
    rng = np.random.default_rng(1)
    elevation = np.full((4, 20_000), 30.0)
    loss = draw_ntn_large_scale_loss(rng, elevation, 1.1e6, 20e9, "dense_urban", "ka")
    assert loss.total_db.shape == loss.los.shape == (4, 20_000)
    np.testing.assert_allclose(
        loss.total_db, loss.free_space_db + loss.shadow_fading_db + loss.clutter_db + loss.gas_db
    )
    assert loss.los.mean() == pytest.approx(0.398, abs=0.01)
    assert np.all(loss.clutter_db[loss.los] == 0.0)
    assert np.all(loss.clutter_db[~loss.los] == 37.5)
    assert loss.shadow_fading_db[loss.los].std() == pytest.approx(2.7, rel=0.03)
    assert loss.shadow_fading_db[~loss.los].std() == pytest.approx(15.6, rel=0.03)
    np.testing.assert_allclose(loss.gas_db, float(gas_attenuation_db(30.0, 20e9)))
    s_band = draw_ntn_large_scale_loss(rng, 30.0, 1.1e6, 2e9, "suburban_rural", "s", los=True)
    assert float(s_band.gas_db) == 0.0 and bool(s_band.los)
    assert float(s_band.clutter_db) == 0.0


def test_draw_is_reproducible_with_the_same_seed() -> None:
    def draw(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return draw_ntn_large_scale_loss(
            rng, np.array([20.0, 60.0]), 8e5, 2e9, "urban", "s"
        ).total_db

    np.testing.assert_array_equal(draw(3), draw(3))


def test_bad_inputs_raise_clear_errors() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"elevation_deg must lie in \[10, 90\] deg"):
        los_probability(np.array([0.0, 45.0]))
    with pytest.raises(ValueError, match=r"elevation_deg must lie in \[10, 90\] deg"):
        clutter_loss_db(95.0, False)
    with pytest.raises(ValueError, match=r"elevation_deg must lie in \[10, 90\] deg"):
        draw_ntn_large_scale_loss(rng, -5.0, 1e6, 2e9)
    with pytest.raises(ValueError, match=r"elevation_deg must lie in \[5, 90\] deg"):
        gas_attenuation_db(2.0, 20e9)
    with pytest.raises(ValueError, match="unknown scenario 'rural'; valid scenarios are"):
        los_probability(30.0, "rural")
    with pytest.raises(ValueError, match="unknown band 'ku'; valid bands are s, ka"):
        shadow_fading_std_db(30.0, True, "urban", "ku")
    with pytest.raises(ValueError, match="distance_m must be positive"):
        draw_ntn_large_scale_loss(rng, 30.0, np.array([1e6, -1.0]), 2e9)
    with pytest.raises(ValueError, match=r"carrier_hz must lie in \[1e9, 54e9\] Hz"):
        gas_attenuation_db(30.0, 60e9)
    with pytest.raises(ValueError, match="water_vapour_density_kg_m3 must be >= 0"):
        gas_attenuation_db(30.0, 20e9, water_vapour_density_kg_m3=-1.0)
    assert set(NTN_BANDS) == {"s", "ka"}


def test_shadowed_rician_mean_power() -> None:
    rng = np.random.default_rng(2)
    for params in (FREQUENT_HEAVY_SHADOWING, AVERAGE_SHADOWING, INFREQUENT_LIGHT_SHADOWING):
        gains = shadowed_rician_gains(rng, (200_000,), params)
        assert gains.dtype == np.complex128
        assert np.mean(np.abs(gains) ** 2) == pytest.approx(2 * params.b + params.omega, rel=0.02)
        assert params.mean_power == 2 * params.b + params.omega
    normalized = shadowed_rician_gains(rng, (4, 50_000), AVERAGE_SHADOWING, normalize=True)
    assert normalized.shape == (4, 50_000)
    assert np.mean(np.abs(normalized) ** 2) == pytest.approx(1.0, rel=0.02)


def test_shadowed_rician_without_shadowing_or_scatter_has_constant_envelope() -> None:
    rng = np.random.default_rng(3)
    gains = shadowed_rician_gains(rng, 10_000, ShadowedRicianParams(b=1e-6, m=1e4, omega=1.0))
    assert np.std(np.abs(gains)) < 0.01
    assert np.mean(np.abs(gains)) == pytest.approx(1.0, abs=0.01)


def test_shadowed_rician_pdf_is_a_density_matching_samples() -> None:
    rng = np.random.default_rng(4)
    for params in (FREQUENT_HEAVY_SHADOWING, AVERAGE_SHADOWING):

        def pdf(x: float, p: ShadowedRicianParams = params) -> float:
            return float(shadowed_rician_power_pdf(x, p))

        assert quad(pdf, 0.0, np.inf, limit=200)[0] == pytest.approx(1.0, abs=1e-6)
        mean = quad(lambda x, f=pdf: x * f(x), 0.0, np.inf, limit=200)[0]
        assert mean == pytest.approx(params.mean_power, rel=1e-5)
        power = np.abs(shadowed_rician_gains(rng, 100_000, params)) ** 2
        threshold = params.mean_power
        assert np.mean(power <= threshold) == pytest.approx(quad(pdf, 0.0, threshold)[0], abs=0.01)
    with pytest.raises(ValueError, match="power must be finite and >= 0"):
        shadowed_rician_power_pdf(-1.0)


def test_shadowed_rician_params_validate() -> None:
    with pytest.raises(ValueError, match="shadowed-Rician m must be finite and > 0, got 0.0"):
        ShadowedRicianParams(b=0.1, m=0.0, omega=1.0)
    with pytest.raises(ValueError, match="shadowed-Rician omega must be finite and >= 0"):
        ShadowedRicianParams(b=0.1, m=1.0, omega=-1.0)
    with pytest.raises(ValueError, match="shape must be a non-negative int"):
        shadowed_rician_gains(np.random.default_rng(0), (-1,))
