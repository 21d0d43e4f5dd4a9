"""Wireless physical-layer models in pure NumPy, batched over leading dimensions.

* :mod:`wmoe.phy.units`: constants and dB / dBm conversions, thermal noise.
* :mod:`wmoe.phy.arrays`: antenna positions, steering vectors and dual-polarised responses,
  in the conventions of DeepMIMO v4.
* :mod:`wmoe.phy.codebook`: uplink precoder codebooks (DFT and 3GPP two-port TPMI).
* :mod:`wmoe.phy.receivers`: per-stream SINR of linear MMSE and ZF receivers, sum rate.
* :mod:`wmoe.phy.propagation`: free-space path loss, ITU-R P.2040 materials and Fresnel
  reflection.

This package depends only on NumPy; it does not import Gymnasium or PyTorch.
"""

from __future__ import annotations

from wmoe.phy.arrays import (
    SLANT_ANGLES_DEG,
    dual_polarized_response,
    slant_port_gains,
    steering_vectors,
    ula_positions,
    upa_positions,
)
from wmoe.phy.codebook import Codebook, dft_codebook, make_codebook, tpmi_two_port_codebook
from wmoe.phy.propagation import (
    ITU_MATERIALS,
    complex_relative_permittivity,
    free_space_path_loss_db,
    fresnel_reflection,
    material_permittivity,
)
from wmoe.phy.receivers import (
    effective_gram,
    mmse_sinr,
    mmse_sinr_from_gram,
    sum_rate,
    zf_sinr,
    zf_sinr_from_gram,
)
from wmoe.phy.units import (
    BOLTZMANN,
    SPEED_OF_LIGHT,
    db_to_linear,
    dbm_to_watt,
    linear_to_db,
    thermal_noise_dbm,
    watt_to_dbm,
)

__all__ = [
    "BOLTZMANN",
    "ITU_MATERIALS",
    "SLANT_ANGLES_DEG",
    "SPEED_OF_LIGHT",
    "Codebook",
    "complex_relative_permittivity",
    "db_to_linear",
    "dbm_to_watt",
    "dft_codebook",
    "dual_polarized_response",
    "effective_gram",
    "free_space_path_loss_db",
    "fresnel_reflection",
    "linear_to_db",
    "make_codebook",
    "material_permittivity",
    "mmse_sinr",
    "mmse_sinr_from_gram",
    "slant_port_gains",
    "steering_vectors",
    "sum_rate",
    "thermal_noise_dbm",
    "tpmi_two_port_codebook",
    "ula_positions",
    "upa_positions",
    "watt_to_dbm",
    "zf_sinr",
    "zf_sinr_from_gram",
]
