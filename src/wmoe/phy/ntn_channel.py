"""Non-terrestrial-network (satellite) channel: large-scale loss and shadowed-Rician fading.

Large-scale loss of a satellite-to-ground link, 3GPP TR 38.811 V15.4.0, Sec. 6.6:

``PL = FSPL(d, f_c) + SF + CL(el) + PL_gas(el, f_c)``  [dB]

* ``FSPL``: free-space path loss. TR 38.811 eq. (6.6-2) writes it
  ``32.45 + 20 log10(f_c / GHz) + 20 log10(d / m)``, which is Friis's
  ``20 log10(4 pi d f_c / c)`` rounded (``20 log10(4 pi 1e9 / c) = 32.448``), so
  :func:`wmoe.phy.propagation.free_space_path_loss_db` is reused (agreement to 0.002 dB).
* ``SF ~ N(0, sigma_SF^2)``: shadow fading, with ``sigma_SF`` from TR 38.811 Tables 6.6.2-1
  (dense urban), 6.6.2-2 (urban) and 6.6.2-3 (suburban and rural), LOS and NLOS columns,
  S-band and Ka-band. Drawn independently per link (no spatial correlation).
* ``CL``: clutter loss, zero for LOS links and from the same tables for NLOS links.
* ``PL_gas``: atmospheric gas absorption, TR 38.811 Sec. 6.6.4, ``A_zenith(f_c) / sin(el)``
  with the zenith attenuation of ITU-R P.676, computed as TR 38.811 prescribes only for
  carriers above 10 GHz (it is below 0.04 dB at zenith in S-band).

The LOS state of a link is drawn with the probability of TR 38.811 Table 6.6.1-1. All tables
are given at elevations 10, 20, ..., 90 deg and are linearly interpolated in between; elevations
below 10 deg are outside the tables and rejected. Rain and cloud attenuation (TR 38.811
Sec. 6.6.5), scintillation (Sec. 6.6.6) and building entry loss are not modelled.

Table values used (TR 38.811 V15.4.0; 10, 20, ..., 90 deg; checked against several public
implementations of TR 38.811 that agree with each other):

* LOS probability [%] (Table 6.6.1-1): dense urban 28.2 33.1 39.8 46.8 53.7 61.2 73.8 82.0
  98.1; urban 24.6 38.6 49.3 61.3 72.6 80.5 91.9 96.8 99.2; suburban/rural 78.2 86.9 91.9
  92.9 93.5 94.0 94.9 95.2 99.8.
* Dense urban (Table 6.6.2-1), S-band: sigma LOS 3.5 3.4 2.9 3.0 3.1 2.7 2.5 2.3 1.2, sigma
  NLOS 15.5 13.9 12.4 11.7 10.6 10.5 10.1 9.2 9.2, CL NLOS 34.3 30.9 29.0 27.7 26.8 26.2 25.8
  25.5 25.5; Ka-band: sigma LOS 2.9 2.4 2.7 2.4 2.4 2.7 2.6 2.8 0.6, sigma NLOS 17.1 17.1 15.6
  14.6 14.2 12.6 12.1 12.3 12.3, CL NLOS 44.3 39.9 37.5 35.8 34.6 33.8 33.3 33.0 32.9.
* Urban (Table 6.6.2-2): sigma LOS 4, sigma NLOS 6 at every elevation in both bands; CL NLOS
  equal to the dense-urban CL of the same band.
* Suburban and rural (Table 6.6.2-3), S-band: sigma LOS 1.79 1.14 1.14 0.92 1.42 1.56 0.85
  0.72 0.72, sigma NLOS 8.93 9.08 8.78 10.25 10.56 10.74 10.17 11.52 11.52, CL NLOS 19.52 18.17
  18.42 18.28 18.63 17.68 16.50 16.30 16.30; Ka-band: sigma LOS 1.9 1.6 1.9 2.3 2.7 3.1 3.0 3.6
  0.4, sigma NLOS 10.7 10.0 11.2 11.6 11.8 10.8 10.8 10.8 10.8, CL NLOS 29.5 24.6 21.9 20.0 18.7
  17.8 17.2 16.9 16.8.

Small-scale fading: the shadowed-Rician model of A. Abdi, W. C. Lau, M.-S. Alouini and
M. Kaveh, "A new simple model for land mobile satellite channels: first- and second-order
statistics", IEEE Trans. Wireless Commun. 2(3), 2003.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import hyp1f1

from wmoe.phy.propagation import free_space_path_loss_db

NTN_SCENARIOS = ("dense_urban", "urban", "suburban_rural")
"""Deployment scenarios of TR 38.811 Sec. 6.6 (suburban and rural share one table)."""

NTN_BANDS = ("s", "ka")
"""Frequency bands of the TR 38.811 tables: S-band (2-4 GHz) and Ka-band (26.5-40 GHz; also
used for the 20 GHz Ka downlink of TR 38.821)."""

ELEVATION_GRID_DEG = np.arange(10.0, 91.0, 10.0)
"""Elevation angles [deg] at which the TR 38.811 tables are given."""

_LOS_PROBABILITY_PERCENT: dict[str, tuple[float, ...]] = {
    "dense_urban": (28.2, 33.1, 39.8, 46.8, 53.7, 61.2, 73.8, 82.0, 98.1),
    "urban": (24.6, 38.6, 49.3, 61.3, 72.6, 80.5, 91.9, 96.8, 99.2),
    "suburban_rural": (78.2, 86.9, 91.9, 92.9, 93.5, 94.0, 94.9, 95.2, 99.8),
}

_DENSE_URBAN_CL_S = (34.3, 30.9, 29.0, 27.7, 26.8, 26.2, 25.8, 25.5, 25.5)
_DENSE_URBAN_CL_KA = (44.3, 39.9, 37.5, 35.8, 34.6, 33.8, 33.3, 33.0, 32.9)

# (scenario, band) -> (sigma_SF LOS [dB], sigma_SF NLOS [dB], clutter loss NLOS [dB])
_SHADOW_CLUTTER_DB: dict[
    tuple[str, str], tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]
] = {
    ("dense_urban", "s"): (
        (3.5, 3.4, 2.9, 3.0, 3.1, 2.7, 2.5, 2.3, 1.2),
        (15.5, 13.9, 12.4, 11.7, 10.6, 10.5, 10.1, 9.2, 9.2),
        _DENSE_URBAN_CL_S,
    ),
    ("dense_urban", "ka"): (
        (2.9, 2.4, 2.7, 2.4, 2.4, 2.7, 2.6, 2.8, 0.6),
        (17.1, 17.1, 15.6, 14.6, 14.2, 12.6, 12.1, 12.3, 12.3),
        _DENSE_URBAN_CL_KA,
    ),
    ("urban", "s"): ((4.0,) * 9, (6.0,) * 9, _DENSE_URBAN_CL_S),
    ("urban", "ka"): ((4.0,) * 9, (6.0,) * 9, _DENSE_URBAN_CL_KA),
    ("suburban_rural", "s"): (
        (1.79, 1.14, 1.14, 0.92, 1.42, 1.56, 0.85, 0.72, 0.72),
        (8.93, 9.08, 8.78, 10.25, 10.56, 10.74, 10.17, 11.52, 11.52),
        (19.52, 18.17, 18.42, 18.28, 18.63, 17.68, 16.50, 16.30, 16.30),
    ),
    ("suburban_rural", "ka"): (
        (1.9, 1.6, 1.9, 2.3, 2.7, 3.1, 3.0, 3.6, 0.4),
        (10.7, 10.0, 11.2, 11.6, 11.8, 10.8, 10.8, 10.8, 10.8),
        (29.5, 24.6, 21.9, 20.0, 18.7, 17.8, 17.2, 16.9, 16.8),
    ),
}

_STANDARD_PRESSURE_PA = 101_325.0  # ITU-R P.835 mean annual global reference atmosphere
_STANDARD_TEMPERATURE_K = 288.15
_STANDARD_WATER_VAPOUR_KG_M3 = 7.5e-3
_GAS_MIN_CARRIER_HZ = 1e9
_GAS_MAX_CARRIER_HZ = 54e9
_GAS_TR38811_THRESHOLD_HZ = 10e9  # TR 38.811 Sec. 6.6.4: gas loss computed above 10 GHz


def _check_scenario(scenario: str) -> None:
    """Raise a ValueError unless ``scenario`` is one of :data:`NTN_SCENARIOS`."""
    if scenario not in NTN_SCENARIOS:
        raise ValueError(
            f"unknown scenario {scenario!r}; valid scenarios are {', '.join(NTN_SCENARIOS)} "
            "(TR 38.811 Sec. 6.6; use 'suburban_rural' for suburban or rural)."
        )


def _check_band(band: str) -> None:
    """Raise a ValueError unless ``band`` is one of :data:`NTN_BANDS`."""
    if band not in NTN_BANDS:
        raise ValueError(
            f"unknown band {band!r}; valid bands are {', '.join(NTN_BANDS)} (S-band 2-4 GHz, "
            "Ka-band 20-40 GHz)."
        )


def _check_elevation(
    elevation_deg: float | NDArray[Any], minimum_deg: float = 10.0
) -> NDArray[np.float64]:
    """Return the elevation as float64 after checking it lies in ``[minimum_deg, 90]``."""
    elevation = np.asarray(elevation_deg, dtype=np.float64)
    if not np.all(np.isfinite(elevation) & (elevation >= minimum_deg) & (elevation <= 90.0)):
        raise ValueError(
            f"elevation_deg must lie in [{minimum_deg:g}, 90] deg, got values in "
            f"[{float(np.min(elevation))}, {float(np.max(elevation))}]; pass degrees (not "
            f"radians) and drop links below the {minimum_deg:g} deg minimum elevation of the "
            "TR 38.811 models."
        )
    return elevation


def los_probability(
    elevation_deg: float | NDArray[Any], scenario: str = "suburban_rural"
) -> NDArray[np.float64]:
    """Probability that a satellite link is line-of-sight, as a function of elevation.

    Source: 3GPP TR 38.811 V15.4.0, Table 6.6.1-1, linearly interpolated between its 10-deg
    grid points (see the module docstring for the values).

    Args:
        elevation_deg: Elevation angle [deg], in ``[10, 90]``; any shape.
        scenario: One of :data:`NTN_SCENARIOS`.

    Returns:
        The LOS probability in ``[0, 1]``, of the shape of ``elevation_deg``.

    Raises:
        ValueError: If the scenario is unknown or an elevation is outside ``[10, 90]``.
    """
    _check_scenario(scenario)
    elevation = _check_elevation(elevation_deg)
    table = np.asarray(_LOS_PROBABILITY_PERCENT[scenario]) / 100.0
    return np.interp(elevation, ELEVATION_GRID_DEG, table)


def _shadow_clutter_tables(
    scenario: str, band: str
) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """Return the (sigma LOS, sigma NLOS, CL NLOS) rows of a scenario and band, checked."""
    _check_scenario(scenario)
    _check_band(band)
    return _SHADOW_CLUTTER_DB[(scenario, band)]


def shadow_fading_std_db(
    elevation_deg: float | NDArray[Any],
    los: bool | NDArray[Any],
    scenario: str = "suburban_rural",
    band: str = "ka",
) -> NDArray[np.float64]:
    """Standard deviation of the log-normal shadow fading of a satellite link.

    Source: 3GPP TR 38.811 V15.4.0, Tables 6.6.2-1, 6.6.2-2 and 6.6.2-3 (``sigma_SF``),
    linearly interpolated in elevation.

    Args:
        elevation_deg: Elevation angle [deg], in ``[10, 90]``.
        los: Whether each link is line-of-sight; broadcast with ``elevation_deg``.
        scenario: One of :data:`NTN_SCENARIOS`.
        band: One of :data:`NTN_BANDS`.

    Returns:
        ``sigma_SF`` [dB], of the broadcast shape.

    Raises:
        ValueError: If the scenario or band is unknown or an elevation is out of range.
    """
    sigma_los, sigma_nlos, _ = _shadow_clutter_tables(scenario, band)
    elevation = _check_elevation(elevation_deg)
    return np.where(
        np.asarray(los, dtype=bool),
        np.interp(elevation, ELEVATION_GRID_DEG, sigma_los),
        np.interp(elevation, ELEVATION_GRID_DEG, sigma_nlos),
    )


def clutter_loss_db(
    elevation_deg: float | NDArray[Any],
    los: bool | NDArray[Any],
    scenario: str = "suburban_rural",
    band: str = "ka",
) -> NDArray[np.float64]:
    """Clutter loss of a satellite link: zero if line-of-sight, else from the TR 38.811 tables.

    Source: 3GPP TR 38.811 V15.4.0, Sec. 6.6.2 and Tables 6.6.2-1 to 6.6.2-3 (``CL``),
    linearly interpolated in elevation.

    Args:
        elevation_deg: Elevation angle [deg], in ``[10, 90]``.
        los: Whether each link is line-of-sight; broadcast with ``elevation_deg``.
        scenario: One of :data:`NTN_SCENARIOS`.
        band: One of :data:`NTN_BANDS`.

    Returns:
        Clutter loss [dB], of the broadcast shape.

    Raises:
        ValueError: If the scenario or band is unknown or an elevation is out of range.
    """
    _, _, clutter_nlos = _shadow_clutter_tables(scenario, band)
    elevation = _check_elevation(elevation_deg)
    return np.where(
        np.asarray(los, dtype=bool), 0.0, np.interp(elevation, ELEVATION_GRID_DEG, clutter_nlos)
    )


def _phi(r_p: float, r_t: float, a: float, b: float, c: float, d: float) -> float:
    """ITU-R P.676-10 Annex 2 scaling ``r_p^a r_t^b exp(c (1 - r_p) + d (1 - r_t))``."""
    return r_p**a * r_t**b * math.exp(c * (1.0 - r_p) + d * (1.0 - r_t))


def gas_attenuation_db(
    elevation_deg: float | NDArray[Any],
    carrier_hz: float | NDArray[Any],
    pressure_pa: float = _STANDARD_PRESSURE_PA,
    temperature_k: float = _STANDARD_TEMPERATURE_K,
    water_vapour_density_kg_m3: float = _STANDARD_WATER_VAPOUR_KG_M3,
) -> NDArray[np.float64]:
    """Attenuation by atmospheric gases (oxygen and water vapour) along an Earth-space path.

    ``A = (h_o gamma_o + h_w gamma_w) / sin(el)``: the specific attenuations ``gamma_o``
    (dry air, ``f <= 54 GHz`` branch) and ``gamma_w`` (water vapour) [dB/km] at the ground, times
    the equivalent heights ``h_o`` and ``h_w`` [km], over the cosecant of the elevation. This
    is the zenith-attenuation-over-``sin(el)`` form of TR 38.811 Sec. 6.6.4, with the
    closed-form approximation of ITU-R P.676-10 Annex 2 (eqs. (22)-(23) and (25)-(27)) for
    the zenith attenuation, with ``pressure_pa`` as the pressure ``p`` of every formula. It
    agrees within 0.2 % with the P.676-10 approximation of the ``itur`` package (0.4.0),
    which adds the water-vapour pressure to ``p`` in the equivalent heights only; e.g.
    0.257 dB at zenith and 20 GHz in the reference atmosphere.

    Sources: 3GPP TR 38.811 V15.4.0, Sec. 6.6.4; ITU-R P.676-10 (2013), Annex 2; reference
    atmosphere (1013.25 hPa, 15 deg C, 7.5 g/m^3) of ITU-R P.835.

    Args:
        elevation_deg: Elevation angle [deg], in ``[5, 90]`` (the validity range of Annex 2).
        carrier_hz: Carrier frequency [Hz], in ``[1e9, 54e9]``; broadcast with
            ``elevation_deg``.
        pressure_pa: Dry-air pressure at the ground [Pa], ``> 0``.
        temperature_k: Temperature at the ground [K], ``> 0``.
        water_vapour_density_kg_m3: Water-vapour density at the ground [kg/m^3], ``>= 0``.

    Returns:
        Gas attenuation [dB], of the broadcast shape.

    Raises:
        ValueError: If an argument is outside its range.
    """
    elevation = _check_elevation(elevation_deg, minimum_deg=5.0)
    carrier = np.asarray(carrier_hz, dtype=np.float64)
    if not np.all((carrier >= _GAS_MIN_CARRIER_HZ) & (carrier <= _GAS_MAX_CARRIER_HZ)):
        raise ValueError(
            f"carrier_hz must lie in [1e9, 54e9] Hz for the ITU-R P.676 Annex 2 gas model "
            f"implemented here, got values in [{float(np.min(carrier))}, "
            f"{float(np.max(carrier))}]; pass hertz (e.g. 20e9 for Ka-band)."
        )
    for name, value, example in (
        ("pressure_pa", pressure_pa, "101325.0"),
        ("temperature_k", temperature_k, "288.15"),
    ):
        if not (math.isfinite(value) and value > 0.0):
            raise ValueError(
                f"{name} must be positive and finite, got {value!r}; pass e.g. {example}."
            )
    if not (math.isfinite(water_vapour_density_kg_m3) and water_vapour_density_kg_m3 >= 0.0):
        raise ValueError(
            f"water_vapour_density_kg_m3 must be >= 0 and finite, got "
            f"{water_vapour_density_kg_m3!r}; pass kg/m^3 (e.g. 7.5e-3, not 7.5 g/m^3)."
        )
    f = carrier / 1e9  # [GHz], the unit of the P.676 fits
    r_p = pressure_pa / 100.0 / 1013.0
    r_t = 288.0 / temperature_k
    rho = water_vapour_density_kg_m3 * 1e3  # [g/m^3]

    xi1 = _phi(r_p, r_t, 0.0717, -1.8132, 0.0156, -1.6515)
    xi2 = _phi(r_p, r_t, 0.5146, -4.6368, -0.1921, -5.7416)
    xi3 = _phi(r_p, r_t, 0.3414, -6.5851, 0.2130, -8.5854)
    gamma_o = (
        7.2 * r_t**2.8 / (f**2 + 0.34 * r_p**2 * r_t**1.6)
        + 0.62 * xi3 / ((54.0 - f) ** (1.16 * xi1) + 0.83 * xi2)
    ) * (f**2 * r_p**2 * 1e-3)

    eta1 = 0.955 * r_p * r_t**0.68 + 0.006 * rho
    eta2 = 0.735 * r_p * r_t**0.5 + 0.0353 * r_t**4 * rho

    def g(line_ghz: float) -> NDArray[np.float64]:
        """Line-shape factor ``g(f, f_i)`` of P.676-10 Annex 2."""
        return 1.0 + ((f - line_ghz) / (f + line_ghz)) ** 2

    def lorentz(
        strength: float, temp_exp: float, line_ghz: float, width: float
    ) -> NDArray[np.float64]:
        """One water-vapour line term of P.676-10 Annex 2, eq. (23a)."""
        return (
            strength
            * eta1
            * math.exp(temp_exp * (1.0 - r_t))
            / ((f - line_ghz) ** 2 + width * eta1**2)
        )

    gamma_w = (
        lorentz(3.98, 2.23, 22.235, 9.42) * g(22.0)
        + lorentz(11.96, 0.70, 183.31, 11.14)
        + lorentz(0.081, 6.44, 321.226, 6.29)
        + lorentz(3.66, 1.60, 325.153, 9.22)
        + lorentz(25.37, 1.09, 380.0, 0.0)
        + lorentz(17.40, 1.46, 448.0, 0.0)
        + lorentz(844.6, 0.17, 557.0, 0.0) * g(557.0)
        + lorentz(290.0, 0.41, 752.0, 0.0) * g(752.0)
        + 8.3328e4 * eta2 * math.exp(0.99 * (1.0 - r_t)) / (f - 1780.0) ** 2 * g(1780.0)
    ) * (f**2 * r_t**2.5 * rho * 1e-4)

    t1 = (
        4.64
        / (1.0 + 0.066 * r_p**-2.3)
        * np.exp(-(((f - 59.7) / (2.87 + 12.4 * math.exp(-7.9 * r_p))) ** 2))
    )
    t2 = 0.14 * math.exp(2.21 * r_p) / ((f - 118.75) ** 2 + 0.031 * math.exp(2.2 * r_p))
    t3 = (
        0.0114
        / (1.0 + 0.14 * r_p**-2.6)
        * f
        * (-0.0247 + 0.0001 * f + 1.61e-6 * f**2)
        / (1.0 - 0.0169 * f + 4.1e-5 * f**2 + 3.2e-7 * f**3)
    )
    h_o = np.minimum(6.1 / (1.0 + 0.17 * r_p**-1.1) * (1.0 + t1 + t2 + t3), 10.7 * r_p**0.3)
    sigma_w = 1.013 / (1.0 + math.exp(-8.6 * (r_p - 0.57)))
    h_w = 1.66 * (
        1.0
        + 1.39 * sigma_w / ((f - 22.235) ** 2 + 2.56 * sigma_w)
        + 3.37 * sigma_w / ((f - 183.31) ** 2 + 4.69 * sigma_w)
        + 1.58 * sigma_w / ((f - 325.1) ** 2 + 2.89 * sigma_w)
    )
    zenith_db = h_o * gamma_o + h_w * gamma_w
    return np.asarray(zenith_db / np.sin(np.deg2rad(elevation)), dtype=np.float64)


def tr38811_gas_loss_db(
    elevation_deg: float | NDArray[Any], carrier_hz: float | NDArray[Any]
) -> NDArray[np.float64]:
    """Gas loss as TR 38.811 Sec. 6.6.4 applies it: :func:`gas_attenuation_db` above 10 GHz.

    At carriers up to 10 GHz the gas loss is neglected (zero).
    """
    carrier = np.asarray(carrier_hz, dtype=np.float64)
    if not np.any(carrier > _GAS_TR38811_THRESHOLD_HZ):
        return np.zeros(np.broadcast_shapes(np.shape(elevation_deg), carrier.shape))
    return np.where(
        carrier > _GAS_TR38811_THRESHOLD_HZ, gas_attenuation_db(elevation_deg, carrier), 0.0
    )


@dataclass(frozen=True)
class NtnLinkLoss:
    """One draw of the large-scale loss of satellite links, term by term; all of one shape.

    Attributes:
        total_db: ``free_space_db + shadow_fading_db + clutter_db + gas_db`` [dB].
        free_space_db: Free-space path loss [dB].
        shadow_fading_db: Shadow-fading draw [dB].
        clutter_db: Clutter loss [dB] (zero on LOS links).
        gas_db: Atmospheric gas attenuation [dB] (zero at carriers up to 10 GHz).
        los: Whether each link is line-of-sight.
    """

    total_db: NDArray[np.float64]
    free_space_db: NDArray[np.float64]
    shadow_fading_db: NDArray[np.float64]
    clutter_db: NDArray[np.float64]
    gas_db: NDArray[np.float64]
    los: NDArray[np.bool_]


def draw_ntn_large_scale_loss(
    rng: np.random.Generator,
    elevation_deg: float | NDArray[Any],
    distance_m: float | NDArray[Any],
    carrier_hz: float | NDArray[Any],
    scenario: str = "suburban_rural",
    band: str = "ka",
    los: bool | NDArray[Any] | None = None,
) -> NtnLinkLoss:
    """Draw the large-scale loss of satellite-to-ground links, TR 38.811 Sec. 6.6.

    ``PL = FSPL(d, f_c) + SF + CL + PL_gas`` (see the module docstring). Unless ``los`` is
    given, each link is LOS with probability :func:`los_probability`; ``SF`` is drawn
    independently per link from ``N(0, shadow_fading_std_db^2)``; the gas term is
    :func:`gas_attenuation_db` in the reference atmosphere for carriers above 10 GHz and zero
    otherwise, as TR 38.811 Sec. 6.6.4 prescribes for elevations of 10 deg and more.

    Sources: 3GPP TR 38.811 V15.4.0, Sec. 6.6.1, 6.6.2 and 6.6.4; ITU-R P.676-10 Annex 2.

    Args:
        rng: Source of randomness.
        elevation_deg: Elevation angle [deg], in ``[10, 90]``.
        distance_m: Slant range [m], ``> 0`` (e.g. from
            :func:`wmoe.phy.orbits.slant_range_and_elevation`).
        carrier_hz: Carrier frequency [Hz], in ``[1e9, 54e9]``.
        scenario: One of :data:`NTN_SCENARIOS`.
        band: One of :data:`NTN_BANDS`, the column of the shadow-fading and clutter tables.
        los: Line-of-sight state per link, or ``None`` to draw it.

    Returns:
        The loss terms, each of the broadcast shape of the array arguments.

    Raises:
        ValueError: If an argument is out of range or the scenario or band is unknown.
    """
    _check_scenario(scenario)
    _check_band(band)
    elevation = _check_elevation(elevation_deg)
    shape = np.broadcast_shapes(np.shape(elevation), np.shape(distance_m), np.shape(carrier_hz))
    if los is None:
        is_los = rng.random(shape) < los_probability(elevation, scenario)
    else:
        is_los = np.broadcast_to(np.asarray(los, dtype=bool), shape).copy()
    elevation = np.broadcast_to(elevation, shape)
    carrier = np.broadcast_to(np.asarray(carrier_hz, dtype=np.float64), shape)
    free_space = np.broadcast_to(free_space_path_loss_db(np.asarray(distance_m), carrier), shape)
    sigma = shadow_fading_std_db(elevation, is_los, scenario, band)
    shadow = sigma * rng.standard_normal(shape)
    clutter = clutter_loss_db(elevation, is_los, scenario, band)
    gas = tr38811_gas_loss_db(elevation, carrier)
    return NtnLinkLoss(
        total_db=free_space + shadow + clutter + gas,
        free_space_db=np.array(free_space),
        shadow_fading_db=shadow,
        clutter_db=clutter,
        gas_db=gas,
        los=is_los,
    )


@dataclass(frozen=True)
class ShadowedRicianParams:
    """Parameters of the shadowed-Rician fading model of Abdi et al. (2003).

    The gain is ``h = A exp(j zeta) + Z`` with a uniform phase ``zeta``, a Nakagami-``m``
    line-of-sight amplitude ``A`` (``E[A^2] = omega``) and scattered ``Z ~ CN(0, 2 b)``, so
    ``E[|h|^2] = 2 b + omega``.

    Attributes:
        b: Half the average power of the scattered component [linear], ``> 0``.
        m: Nakagami parameter of the line-of-sight amplitude, ``> 0`` (``m -> inf``: no
            shadowing, Rician fading; ``m = 1``: Rayleigh-distributed LOS amplitude).
        omega: Average power of the line-of-sight component [linear], ``>= 0``.

    Source: A. Abdi et al., IEEE Trans. Wireless Commun. 2(3), 2003, Sec. II.
    """

    b: float
    m: float
    omega: float

    def __post_init__(self) -> None:
        """Check that ``b > 0``, ``m > 0`` and ``omega >= 0``, all finite."""
        checks = (("b", self.b, 0.0, False), ("m", self.m, 0.0, False))
        for name, value, bound, inclusive in (*checks, ("omega", self.omega, 0.0, True)):
            if not (math.isfinite(value) and (value >= bound if inclusive else value > bound)):
                relation = ">=" if inclusive else ">"
                raise ValueError(
                    f"shadowed-Rician {name} must be finite and {relation} {bound:g}, got "
                    f"{value!r}; use e.g. AVERAGE_SHADOWING (b=0.126, m=10.1, omega=0.835)."
                )

    @property
    def mean_power(self) -> float:
        """Average power ``E[|h|^2] = 2 b + omega`` [linear]."""
        return 2.0 * self.b + self.omega


FREQUENT_HEAVY_SHADOWING = ShadowedRicianParams(b=0.063, m=0.739, omega=8.97e-4)
"""Frequent heavy shadowing: the fit of Abdi et al. (2003) to the land-mobile-satellite
measurements of C. Loo and J. S. Butterworth, IEEE J. Sel. Areas Commun. 16(9), 1998."""

AVERAGE_SHADOWING = ShadowedRicianParams(b=0.126, m=10.1, omega=0.835)
"""Average shadowing: the fit of Abdi et al. (2003) to the Loo-Butterworth measurements."""

INFREQUENT_LIGHT_SHADOWING = ShadowedRicianParams(b=0.158, m=19.4, omega=1.29)
"""Infrequent light shadowing: the fit of Abdi et al. (2003) to the Loo-Butterworth
measurements."""


def shadowed_rician_gains(
    rng: np.random.Generator,
    shape: int | tuple[int, ...],
    params: ShadowedRicianParams = AVERAGE_SHADOWING,
    normalize: bool = False,
) -> NDArray[np.complex128]:
    """Draw independent shadowed-Rician fading gains.

    ``h = A exp(j zeta) + Z`` with ``A^2 ~ Gamma(m, omega / m)`` (so ``A`` is Nakagami-``m``
    with ``E[A^2] = omega``), ``zeta ~ U[0, 2 pi)`` and ``Z ~ CN(0, 2 b)``.

    Source: A. Abdi et al., IEEE Trans. Wireless Commun. 2(3), 2003, Sec. II, eq. (1).

    Args:
        rng: Source of randomness.
        shape: Output shape, e.g. ``(batch, num_users)``.
        params: Model parameters, e.g. :data:`AVERAGE_SHADOWING`.
        normalize: If ``True``, divide by ``sqrt(2 b + omega)`` so that ``E[|h|^2] = 1`` (the
            average gain then lives in the large-scale loss).

    Returns:
        Complex gains [dimensionless], shape ``shape``, with ``E[|h|^2] = 2 b + omega`` (or 1).

    Raises:
        ValueError: If ``shape`` is not a non-negative int or a tuple of them.
    """
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if not all(isinstance(n, int | np.integer) and n >= 0 for n in dims):
        raise ValueError(
            f"shape must be a non-negative int or a tuple of them, got {shape!r}; "
            "pass e.g. (batch, num_users)."
        )
    los_power = rng.gamma(params.m, params.omega / params.m, size=dims)
    phase = rng.uniform(0.0, 2.0 * np.pi, size=dims)
    return shadowed_rician_from_draws(
        los_power, phase, rng.standard_normal((*dims, 2)), params, normalize
    )


def shadowed_rician_from_draws(
    los_power: NDArray[np.float64],
    phase_rad: NDArray[np.float64],
    normals: NDArray[np.float64],
    params: ShadowedRicianParams = AVERAGE_SHADOWING,
    normalize: bool = False,
) -> NDArray[np.complex128]:
    """Shadowed-Rician fading gains from their random parts (see :func:`shadowed_rician_gains`).

    For callers that draw the parts themselves (e.g. many generators' draws at once).

    Args:
        los_power: ``A^2 ~ Gamma(m, omega / m)``, any shape ``S``.
        phase_rad: ``zeta ~ U[0, 2 pi)`` [rad], shape ``S``.
        normals: Standard normal real and imaginary parts of ``Z / sqrt(b)``, shape ``(*S, 2)``.
        params: Model parameters.
        normalize: If ``True``, scale to ``E[|h|^2] = 1``.

    Returns:
        Complex gains [dimensionless], shape ``S``.
    """
    scattered = np.ascontiguousarray(normals * math.sqrt(params.b))
    gains = np.sqrt(los_power) * np.exp(1j * phase_rad) + scattered.view(np.complex128)[..., 0]
    if normalize:
        gains = gains / math.sqrt(params.mean_power)
    return gains


def shadowed_rician_power_pdf(
    power: float | NDArray[Any], params: ShadowedRicianParams = AVERAGE_SHADOWING
) -> NDArray[np.float64]:
    """Probability density of the power ``x = |h|^2`` of a shadowed-Rician gain.

    ``f(x) = alpha exp(-beta x) 1F1(m; 1; delta x)`` for ``x >= 0`` with
    ``alpha = (2 b m / (2 b m + omega))^m / (2 b)``, ``beta = 1 / (2 b)`` and
    ``delta = omega / (2 b (2 b m + omega))``; evaluated in Kummer's form
    ``alpha exp(-(beta - delta) x) 1F1(1 - m; 1; -delta x)``, which does not overflow.

    Source: A. Abdi et al., IEEE Trans. Wireless Commun. 2(3), 2003, eq. (3) (the envelope
    density, here transformed to the power ``x = r^2``).

    Args:
        power: Power values ``x`` [linear], ``>= 0``; any shape.
        params: Model parameters.

    Returns:
        The density [1 / linear power], of the shape of ``power``.

    Raises:
        ValueError: If a power is negative or not finite.
    """
    x = np.asarray(power, dtype=np.float64)
    if not np.all(np.isfinite(x) & (x >= 0.0)):
        raise ValueError(
            f"power must be finite and >= 0, got a minimum of {float(np.min(x))}; pass |h|^2, "
            "not a value in dB."
        )
    b, m, omega = params.b, params.m, params.omega
    alpha = (2.0 * b * m / (2.0 * b * m + omega)) ** m / (2.0 * b)
    delta = omega / (2.0 * b * (2.0 * b * m + omega))
    decay = m / (2.0 * b * m + omega)  # beta - delta
    return np.asarray(alpha * np.exp(-decay * x) * hyp1f1(1.0 - m, 1.0, -delta * x))
