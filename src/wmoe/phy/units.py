"""Physical constants and decibel conversions.

Scalars in give Python floats out; arrays in give ``float64`` arrays of the same shape out.
"""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

SPEED_OF_LIGHT = 299_792_458.0  # [m/s], exact (SI 2019)
BOLTZMANN = 1.380649e-23  # [J/K], exact (SI 2019)


@overload
def db_to_linear(x_db: float) -> float: ...
@overload
def db_to_linear(x_db: NDArray[Any]) -> NDArray[np.float64]: ...
def db_to_linear(x_db: float | NDArray[Any]) -> float | NDArray[np.float64]:
    """Convert a power ratio from decibels to linear scale, ``10**(x_db / 10)``.

    Args:
        x_db: Power ratio [dB]; a float or an array of any shape.

    Returns:
        The power ratio [linear, dimensionless], with the shape of ``x_db``.
    """
    return np.power(10.0, np.asarray(x_db, dtype=np.float64) / 10.0)


@overload
def linear_to_db(x: float) -> float: ...
@overload
def linear_to_db(x: NDArray[Any]) -> NDArray[np.float64]: ...
def linear_to_db(x: float | NDArray[Any]) -> float | NDArray[np.float64]:
    """Convert a power ratio from linear scale to decibels, ``10 * log10(x)``.

    Args:
        x: Power ratio [linear, dimensionless], ``>= 0``; a float or an array of any shape.
            Zero maps to ``-inf`` dB without a warning.

    Returns:
        The power ratio [dB], with the shape of ``x``.

    Raises:
        ValueError: If any entry of ``x`` is negative.
    """
    ratio = np.asarray(x, dtype=np.float64)
    if np.any(ratio < 0.0):
        raise ValueError(
            f"linear_to_db needs power ratios >= 0, got a minimum of {float(np.min(ratio))}; "
            "pass powers (e.g. |h|**2), not amplitudes or values already in dB."
        )
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(ratio)


@overload
def dbm_to_watt(p_dbm: float) -> float: ...
@overload
def dbm_to_watt(p_dbm: NDArray[Any]) -> NDArray[np.float64]: ...
def dbm_to_watt(p_dbm: float | NDArray[Any]) -> float | NDArray[np.float64]:
    """Convert a power from dBm to watts, ``10**((p_dbm - 30) / 10)``.

    Args:
        p_dbm: Power [dBm]; a float or an array of any shape.

    Returns:
        The power [W], with the shape of ``p_dbm``.
    """
    return np.power(10.0, (np.asarray(p_dbm, dtype=np.float64) - 30.0) / 10.0)


@overload
def watt_to_dbm(p_w: float) -> float: ...
@overload
def watt_to_dbm(p_w: NDArray[Any]) -> NDArray[np.float64]: ...
def watt_to_dbm(p_w: float | NDArray[Any]) -> float | NDArray[np.float64]:
    """Convert a power from watts to dBm, ``10 * log10(p_w) + 30``.

    Args:
        p_w: Power [W], ``>= 0``; a float or an array of any shape. Zero maps to ``-inf`` dBm.

    Returns:
        The power [dBm], with the shape of ``p_w``.

    Raises:
        ValueError: If any entry of ``p_w`` is negative.
    """
    return linear_to_db(np.asarray(p_w, dtype=np.float64)) + 30.0


def thermal_noise_dbm(
    bandwidth_hz: float, noise_figure_db: float = 0.0, temperature_k: float = 290.0
) -> float:
    """Thermal (Johnson-Nyquist) noise power in a bandwidth, plus a receiver noise figure.

    ``N = 10 * log10(k * T * B / 1 mW) + NF``. At the reference temperature of 290 K the
    density is -173.98 dBm/Hz.

    Source: H. Nyquist, "Thermal agitation of electric charge in conductors", Phys. Rev. 32,
    1928; the 290 K reference temperature is that of ITU-R P.372 and of the IEEE definition
    of noise figure.

    Args:
        bandwidth_hz: Noise bandwidth [Hz], ``> 0``.
        noise_figure_db: Receiver noise figure [dB], added to the thermal floor.
        temperature_k: Noise temperature [K], ``> 0``.

    Returns:
        The noise power [dBm].

    Raises:
        ValueError: If ``bandwidth_hz`` or ``temperature_k`` is not a positive finite number.
    """
    if not (math.isfinite(bandwidth_hz) and bandwidth_hz > 0.0):
        raise ValueError(
            f"bandwidth_hz must be a positive finite number of hertz, got {bandwidth_hz!r}; "
            "pass e.g. 20e6 for 20 MHz."
        )
    if not (math.isfinite(temperature_k) and temperature_k > 0.0):
        raise ValueError(
            f"temperature_k must be a positive finite temperature in kelvin, got "
            f"{temperature_k!r}; pass e.g. 290.0 (the reference temperature)."
        )
    return 10.0 * math.log10(BOLTZMANN * temperature_k * bandwidth_hz * 1e3) + noise_figure_db
