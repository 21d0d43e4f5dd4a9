"""Wireless physical-layer models in pure NumPy, batched over leading dimensions.

* :mod:`wmoe.phy.units`: constants and dB / dBm conversions, thermal noise.
* :mod:`wmoe.phy.arrays`: antenna positions, steering vectors and dual-polarised responses,
  in the conventions of DeepMIMO v4.
* :mod:`wmoe.phy.codebook`: uplink precoder codebooks (DFT and the 3GPP TPMI tables).
* :mod:`wmoe.phy.nr_codebooks`: the PUSCH precoding matrices of TS 38.211 Sec. 6.3.1.5.
* :mod:`wmoe.phy.nr_mcs`: the MCS tables of TS 38.214 Sec. 5.1.3.1 and the rate ceiling.
* :mod:`wmoe.phy.nr_power_control`: open-loop PUSCH power control of TS 38.213 Sec. 7.1.1.
* :mod:`wmoe.phy.receivers`: per-stream SINR of linear MMSE and ZF receivers, sum rate.
* :mod:`wmoe.phy.propagation`: free-space path loss, ITU-R P.2040 materials and Fresnel
  reflection.
* :mod:`wmoe.phy.fading`: Rayleigh gains, Jakes correlation and Gauss-Markov time evolution.
* :mod:`wmoe.phy.orbits`: circular LEO/GEO orbits over a spherical Earth, slant range, elevation.
* :mod:`wmoe.phy.ntn_channel`: TR 38.811 satellite large-scale loss (LOS probability, shadow
  fading, clutter, gas absorption) and shadowed-Rician fading.
* :mod:`wmoe.phy.analog_link`: equalised analog feature links (effective noise std, SNR draws).
* :mod:`wmoe.phy.quantization`: uniform feature quantisation and de-quantisation.
* :mod:`wmoe.phy.huffman`: canonical Huffman codes, batched encoding and decoding.
* :mod:`wmoe.phy.convolutional`: the (133, 171) rate-1/2 code and batched Viterbi decoding.
* :mod:`wmoe.phy.qam`: Gray 16-QAM mapping, demapping and its AWGN bit error rate.
* :mod:`wmoe.phy.digital_link`: the end-to-end digital feature link over flat Rayleigh fading.

This package depends only on NumPy and SciPy; it does not import Gymnasium or PyTorch.
"""

from __future__ import annotations

from wmoe.phy.analog_link import (
    apply_analog_link,
    draw_effective_noise_std,
    draw_link_snrs_db,
    effective_noise_std,
)
from wmoe.phy.arrays import (
    SLANT_ANGLES_DEG,
    dual_polarized_response,
    slant_port_gains,
    steering_vectors,
    ula_positions,
    upa_positions,
)
from wmoe.phy.codebook import (
    Codebook,
    dft_codebook,
    distinct_codewords,
    make_codebook,
    tpmi_codebook,
    tpmi_two_port_codebook,
)
from wmoe.phy.convolutional import conv_encode, viterbi_decode
from wmoe.phy.digital_link import equalized_fading_channel, transmit_features
from wmoe.phy.fading import (
    gauss_markov_sequence,
    gauss_markov_step,
    jakes_correlation,
    rayleigh_gains,
)
from wmoe.phy.huffman import HuffmanCode, HuffmanDecoding, build_huffman_code
from wmoe.phy.nr_codebooks import TPMI_TABLES, tpmi_precoders
from wmoe.phy.nr_mcs import MCS_TABLES, McsTable, cap_sinr
from wmoe.phy.nr_power_control import pusch_tx_power_dbm
from wmoe.phy.ntn_channel import (
    AVERAGE_SHADOWING,
    ELEVATION_GRID_DEG,
    FREQUENT_HEAVY_SHADOWING,
    INFREQUENT_LIGHT_SHADOWING,
    NTN_BANDS,
    NTN_SCENARIOS,
    NtnLinkLoss,
    ShadowedRicianParams,
    clutter_loss_db,
    draw_ntn_large_scale_loss,
    gas_attenuation_db,
    los_probability,
    shadow_fading_std_db,
    shadowed_rician_gains,
    shadowed_rician_power_pdf,
)
from wmoe.phy.orbits import (
    EARTH_GM,
    EARTH_RADIUS_M,
    GEO_ALTITUDE_M,
    LEO_ALTITUDE_M,
    ground_positions,
    ground_positions_from_offsets,
    orbital_period_s,
    satellite_positions,
    slant_range_and_elevation,
    slant_range_from_elevation,
)
from wmoe.phy.propagation import (
    ITU_MATERIALS,
    complex_relative_permittivity,
    free_space_path_loss_db,
    fresnel_reflection,
    material_permittivity,
)
from wmoe.phy.qam import qam16_awgn_ber, qam16_demodulate, qam16_modulate
from wmoe.phy.quantization import dequantize, quantization_step, quantize
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
    "AVERAGE_SHADOWING",
    "BOLTZMANN",
    "EARTH_GM",
    "EARTH_RADIUS_M",
    "ELEVATION_GRID_DEG",
    "FREQUENT_HEAVY_SHADOWING",
    "GEO_ALTITUDE_M",
    "INFREQUENT_LIGHT_SHADOWING",
    "ITU_MATERIALS",
    "LEO_ALTITUDE_M",
    "MCS_TABLES",
    "NTN_BANDS",
    "NTN_SCENARIOS",
    "SLANT_ANGLES_DEG",
    "SPEED_OF_LIGHT",
    "TPMI_TABLES",
    "Codebook",
    "HuffmanCode",
    "HuffmanDecoding",
    "McsTable",
    "NtnLinkLoss",
    "ShadowedRicianParams",
    "apply_analog_link",
    "build_huffman_code",
    "cap_sinr",
    "clutter_loss_db",
    "complex_relative_permittivity",
    "conv_encode",
    "db_to_linear",
    "dbm_to_watt",
    "dequantize",
    "dft_codebook",
    "distinct_codewords",
    "draw_effective_noise_std",
    "draw_link_snrs_db",
    "draw_ntn_large_scale_loss",
    "dual_polarized_response",
    "effective_gram",
    "effective_noise_std",
    "equalized_fading_channel",
    "free_space_path_loss_db",
    "fresnel_reflection",
    "gas_attenuation_db",
    "gauss_markov_sequence",
    "gauss_markov_step",
    "ground_positions",
    "ground_positions_from_offsets",
    "jakes_correlation",
    "linear_to_db",
    "los_probability",
    "make_codebook",
    "material_permittivity",
    "mmse_sinr",
    "mmse_sinr_from_gram",
    "orbital_period_s",
    "pusch_tx_power_dbm",
    "qam16_awgn_ber",
    "qam16_demodulate",
    "qam16_modulate",
    "quantization_step",
    "quantize",
    "rayleigh_gains",
    "satellite_positions",
    "shadow_fading_std_db",
    "shadowed_rician_gains",
    "shadowed_rician_power_pdf",
    "slant_port_gains",
    "slant_range_and_elevation",
    "slant_range_from_elevation",
    "steering_vectors",
    "sum_rate",
    "thermal_noise_dbm",
    "tpmi_codebook",
    "tpmi_precoders",
    "tpmi_two_port_codebook",
    "transmit_features",
    "ula_positions",
    "upa_positions",
    "viterbi_decode",
    "watt_to_dbm",
    "zf_sinr",
    "zf_sinr_from_gram",
]
