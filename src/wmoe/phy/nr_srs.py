"""Wideband uplink channel measurements a gNB makes on a UE's sounding reference signal (SRS).

**Signal.** A UE configured with an SRS resource of ``N_ap`` antenna ports for codebook-based
uplink transmission sends one SRS sequence per port (TS 38.211 Sec. 6.4.1.4) on its sounding
bandwidth; every BS that receives it estimates the uplink channel ``H_b`` (BS ports x UE
ports), from which the network picks the UE's TPMI and rank (TS 38.214 Sec. 6.1.1.1, the SRS
resource of TS 38.214 Sec. 6.2.1). The UE splits its SRS power equally across the configured
antenna ports (TS 38.213 Sec. 7.3.1).

**Wideband SRS SNR.** What each BS measures at low resolution here is the mean received SRS
power per resource element, per BS port and per UE port, over the thermal noise per
resource element (:func:`srs_snr_db`). With the UE sending ``P_tx`` split over ``N_ap`` ports
evenly across a sounding bandwidth equal to the noise bandwidth ``B``,

``SNR_b = P_tx / (N_ap N_0 B F) * mean |[H_b]_{p,a}|^2``,

the mean over BS ports ``p``, UE ports ``a`` (and sub-bands, for a wideband channel given at
several frequencies), i.e. ``trace(H_b^H H_b) / (ports N_ap)``. Interference is not included:
it is a received power in units of the noise floor, the uplink counterpart of an RSRP.

**Measurement and resolution.** The measured value carries a Gaussian error in dB, independent
per BS and measurement (the error model of :func:`~wmoe.phy.nr_measurements.measure_rsrp_dbm`),
is rounded to a multiple of the resolution ``step`` (ties to even) and clipped to
[:data:`SRS_SNR_LOW_DB`, :data:`SRS_SNR_HIGH_DB`] (:func:`quantize_srs_snr_db`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

SRS_SNR_LOW_DB = -30.0
"""Lowest SRS SNR reported [dB per RE]; lower values and BSs without a path report it.

An assumption: over the 3,276 resource elements of a 100 MHz carrier at 30 kHz the wideband
estimate still collects ``-30 + 10 log10(3276) = 5`` dB, the edge of detecting the UE.
"""
SRS_SNR_HIGH_DB = 70.0
"""Highest SRS SNR reported [dB per RE]; higher values report it.

Above any UE of a 23 dBm power class: 1 m free space at 3.5 GHz (43 dB path loss) over the
-89 dBm noise of 100 MHz with a 5 dB noise figure gives 69 dB for one port.
"""


def srs_snr_db(tx_snr: float, mean_gain_db: NDArray[Any], num_ue_ports: int) -> NDArray[np.float64]:
    """True wideband SRS SNR [dB] per resource element, per BS port and UE port.

    ``10 log10(tx_snr / N_ap) + mean_gain_db``: the UE's SRS power split evenly over its
    ``N_ap`` ports (TS 38.213 Sec. 7.3.1), times the mean channel power gain per BS port and
    UE port, over the thermal noise.

    Args:
        tx_snr: ``P_tx / (N_0 B F)``, the UE's total transmit power over the noise power over
            the sounding bandwidth (linear).
        mean_gain_db: Mean channel power gain ``trace(H_b^H H_b) / (ports N_ap)`` [dB], any
            shape; ``-inf`` for no path.
        num_ue_ports: SRS antenna ports ``N_ap`` of the UE, ``>= 1``.

    Raises:
        ValueError: If ``tx_snr`` is not positive or ``num_ue_ports`` is below 1.
    """
    if not tx_snr > 0.0:
        raise ValueError(f"tx_snr must be a positive power ratio, got {tx_snr!r}")
    if num_ue_ports < 1:
        raise ValueError(f"num_ue_ports must be >= 1 SRS port, got {num_ue_ports!r}")
    gain = np.asarray(mean_gain_db, dtype=np.float64)
    return np.asarray(10.0 * np.log10(tx_snr / num_ue_ports) + gain)


def quantize_srs_snr_db(snr_db: NDArray[Any], step_db: float) -> NDArray[np.float64]:
    """Round each SNR [dB] to a multiple of ``step_db``, clipped to the reported range.

    ``clip(step round(SNR / step), SRS_SNR_LOW_DB, SRS_SNR_HIGH_DB)`` (``numpy.round``: ties to
    even); ``-inf`` (no path) reports :data:`SRS_SNR_LOW_DB`.

    Args:
        snr_db: Measured SNR [dB], any shape.
        step_db: Resolution [dB], ``> 0``.

    Raises:
        ValueError: If ``step_db`` is not positive.
    """
    if not step_db > 0.0:
        raise ValueError(f"step_db must be a positive resolution in dB, got {step_db!r}")
    snr = np.asarray(snr_db, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # -inf / step rounds to -inf, clipped below
        rounded = step_db * np.round(snr / step_db)
    return np.asarray(np.clip(rounded, SRS_SNR_LOW_DB, SRS_SNR_HIGH_DB))


def normalized_srs_snr(quantized_db: NDArray[Any]) -> NDArray[np.float32]:
    """Map reported SNRs [dB] linearly from [SRS_SNR_LOW_DB, SRS_SNR_HIGH_DB] onto [0, 1]."""
    span = SRS_SNR_HIGH_DB - SRS_SNR_LOW_DB
    quantized = np.asarray(quantized_db, dtype=np.float64)
    return np.asarray((quantized - SRS_SNR_LOW_DB) / span, dtype=np.float32)
