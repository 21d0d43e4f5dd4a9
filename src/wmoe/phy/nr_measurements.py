"""3GPP NR downlink RSRP measurements as a UE reports them (TS 38.215, TS 38.133).

**Definition.** SS-RSRP (or CSI-RSRP) is the linear average of the power contributions [W]
of the resource elements carrying the cell's secondary synchronisation signals (or CSI
reference signals): a power *per resource element* (3GPP TS 38.215 Sec. 5.1.1).
:func:`rsrp_per_re_dbm` derives it from a mean channel gain and the reference-signal power
per resource element, which here is the BS's total power spread evenly over its carrier's
subcarriers (:func:`reference_signal_power_per_re_dbm`; e.g. 46 dBm over 273 resource blocks
of 12 subcarriers: ``46 - 10 log10(3276) = 10.85`` dBm per resource element).

**Measurement error.** The measured value differs from the true one by a Gaussian error in
dB, independent per cell and report, of standard deviation ``sigma`` (:func:`measure_rsrp_dbm`).
TS 38.133 bounds the error rather than giving its distribution: intra-frequency SS-RSRP
absolute accuracy +-4.5 dB under normal conditions (+-9 dB extreme) and relative accuracy
(between cells on one carrier) +-2 dB to +-3 dB (TS 38.133 Sec. 10.1.2 and 10.1.3, FR1).

**Report mapping.** The reported value is an integer index (TS 38.133 Sec. 10.1.6.1,
Table 10.1.6.1-1, L3 SS-RSRP and CSI-RSRP): the reporting range is -156 dBm to -31 dBm with
1 dB resolution,

* ``RSRP_0``: RSRP < -156 dBm;
* ``RSRP_k``: ``-157 + k <= RSRP < -156 + k`` dBm, ``k = 1 .. 125``;
* ``RSRP_126``: RSRP >= -31 dBm,

so a report is ``clip(floor(RSRP) + 157, 0, 126)`` (:func:`rsrp_report_index`). The 7-bit
field (``RSRP-Range``, TS 38.331) also holds 127, which no measurement maps to here (the
guaranteed range ends at -31 dBm). :func:`rsrp_report_dbm` maps an index back to the lower
edge of its 1 dB bin (``RSRP_0`` to -157 dBm).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

SUBCARRIERS_PER_RB = 12
"""Subcarriers of an NR resource block (TS 38.211 Sec. 4.4.4.1)."""
RSRP_REPORT_LOW_DBM = -156.0
"""Lower edge of the reporting range: ``RSRP_0`` means below it (TS 38.133 Table 10.1.6.1-1)."""
RSRP_REPORT_HIGH_DBM = -31.0
"""Upper edge of the reporting range: ``RSRP_126`` means at or above it."""
RSRP_REPORT_STEP_DB = 1.0
"""Resolution of the report [dB]."""
HIGHEST_RSRP_REPORT = 126
"""The highest index a measurement maps to, ``RSRP_126``."""


def reference_signal_power_per_re_dbm(total_power_dbm: float, num_rb: int) -> float:
    """Reference-signal power per resource element [dBm] of a BS spreading its power evenly.

    ``P_RE = P_total - 10 log10(12 N_RB)``: every subcarrier of the ``N_RB`` resource blocks
    carries the same energy per resource element (no reference-signal power boosting).

    Args:
        total_power_dbm: The BS's total transmit power over the carrier [dBm].
        num_rb: Resource blocks of the carrier, ``>= 1``.

    Raises:
        ValueError: If ``num_rb`` is below 1.
    """
    if num_rb < 1:
        raise ValueError(f"num_rb must be >= 1 resource block, got {num_rb!r}")
    return total_power_dbm - 10.0 * math.log10(SUBCARRIERS_PER_RB * num_rb)


def rsrp_per_re_dbm(power_per_re_dbm: float, gain_db: NDArray[Any]) -> NDArray[np.float64]:
    """True RSRP [dBm per resource element]: the per-RE power times the channel power gain.

    Source: TS 38.215 Sec. 5.1.1 (RSRP is a power per resource element).

    Args:
        power_per_re_dbm: Reference-signal power per resource element at the BS [dBm].
        gain_db: Mean channel power gain from the BS to the UE [dB], any shape; ``-inf`` for
            no path.
    """
    return np.asarray(power_per_re_dbm + np.asarray(gain_db, dtype=np.float64))


def measure_rsrp_dbm(
    rsrp_dbm: NDArray[Any], error_std_db: float, rng: np.random.Generator
) -> NDArray[np.float64]:
    """The UE's measurement: ``rsrp_dbm`` plus independent Gaussian errors of ``error_std_db``.

    Draws ``rng.normal(size=rsrp_dbm.shape)`` (even when ``error_std_db`` is 0, so the draws
    do not depend on it).

    Args:
        rsrp_dbm: True RSRP [dBm], any shape.
        error_std_db: Standard deviation of the error [dB], ``>= 0``.
        rng: Generator of the errors.
    """
    true = np.asarray(rsrp_dbm, dtype=np.float64)
    return np.asarray(true + error_std_db * rng.standard_normal(true.shape))


def rsrp_report_index(rsrp_dbm: NDArray[Any]) -> NDArray[np.int64]:
    """The reported value ``RSRP_k`` of each RSRP [dBm] (TS 38.133 Table 10.1.6.1-1).

    ``clip(floor(RSRP) + 157, 0, 126)``: 0 below -156 dBm, 126 at or above -31 dBm, one index
    per 1 dB in between. ``-inf`` (no path) reports 0.
    """
    clipped = np.clip(np.asarray(rsrp_dbm, dtype=np.float64), RSRP_REPORT_LOW_DBM - 1.0, 0.0)
    index = np.floor(clipped) - (RSRP_REPORT_LOW_DBM - 1.0)
    return np.minimum(index, HIGHEST_RSRP_REPORT).astype(np.int64)


def rsrp_report_dbm(index: NDArray[Any]) -> NDArray[np.float64]:
    """The lower edge [dBm] of the 1 dB bin of each report index (``RSRP_0``: -157 dBm)."""
    return np.asarray((RSRP_REPORT_LOW_DBM - 1.0) + np.asarray(index, dtype=np.float64))
