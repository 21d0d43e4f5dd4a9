"""Throughput of the digital feature link (quantiser, Huffman, K = 7 code + Viterbi, 16-QAM).

Run from the repository root::

    .venv/bin/python benchmarks/perf/digital_link.py [--vectors 1000] [--dim 120]

Times :func:`wmoe.phy.digital_link.transmit_features` end to end and the batched Viterbi
decoder alone on the same packets, median of ``--repeats`` runs, one thread.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from wmoe.phy.convolutional import conv_encode, viterbi_decode
from wmoe.phy.digital_link import transmit_features
from wmoe.phy.huffman import build_huffman_code
from wmoe.phy.quantization import quantize


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time [s] of ``repeats`` calls of ``run``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=1000, help="feature vectors per call")
    parser.add_argument("--dim", type=int, default=120, help="feature length d")
    parser.add_argument("--snr-db", type=float, default=10.0, help="link SNR [dB]")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    z = rng.standard_normal((args.vectors, args.dim))
    levels = quantize(z, z.min(), z.max())
    code = build_huffman_code(np.bincount(levels.ravel(), minlength=256))
    bits, num_bits = code.encode(levels)
    coded, num_coded = conv_encode(bits, num_bits)

    link_s = median_seconds(lambda: transmit_features(z, args.snr_db, rng), args.repeats)
    viterbi_s = median_seconds(lambda: viterbi_decode(coded, num_coded), args.repeats)
    packet_bits = float(np.mean(num_coded))
    print(
        f"{args.vectors} vectors x {args.dim} entries at {args.snr_db:g} dB, "
        f"{packet_bits:.0f} coded bits per packet on average"
    )
    print(f"transmit_features: {link_s * 1e3:8.1f} ms  ({args.vectors / link_s:,.0f} vectors/s)")
    print(f"viterbi alone:     {viterbi_s * 1e3:8.1f} ms  ({viterbi_s / link_s:.0%} of the link)")


if __name__ == "__main__":
    main()
