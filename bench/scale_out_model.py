#!/usr/bin/env python3
"""Data-parallel scaling on paper (docs/scale-out.md): per training step, the bytes each rank exchanges, the
compute, the gradient sum's time on 10 GbE and 100 GbE, and the whole batch at which N machines still run at 80 %
of N times one machine's speed.

    python3 bench/scale_out_model.py [FRAMES_PER_S_PER_MACHINE ...]   (default: 72000 570000)

Model (see the doc for where each number comes from):
  gradient      P x 4 bytes, P = 102,209 parameters of nn_arch/def_se_nn_arch72_mel.txt (`nnse info`)
  sum           nnse's MPI_Alltoall + MPI_Allgather (train/distributed.h): each rank sends and receives
                2 (N-1)/N x the gradient, in 2 (N-1) messages (pairwise exchange + ring), no overlap with compute
  time          t_comm = 2 (N-1)/N x bytes / bandwidth + 2 (N-1) x latency
  compute       t_comp = (batch / N) x T / R: R frames/s of one machine end to end, T = 500 frames per sequence
  efficiency    t_comp / (t_comp + t_comm); 80 % needs t_comp >= 4 t_comm
"""
import math
import sys

PARAMETERS = 102_209
MACS_PER_FRAME = 101_400          # `nnse info`: 10.14 M MAC/s at 100 frames/s
CHUNK = 500                       # --chunk-frames
NETWORKS = {                      # payload bandwidth (bytes/s), per-message latency (s)
    "10 GbE (TCP)": (1.17e9, 30e-6),
    "100 GbE (RoCE)": (11.7e9, 3e-6),
}
RANKS = [2, 8, 32, 128]


def t_comm(n, nbytes, bandwidth, latency):
    return 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency


def main():
    rates = [float(x) for x in sys.argv[1:]] or [72_000.0, 570_000.0]
    nbytes = PARAMETERS * 4
    print(f"gradient: {PARAMETERS:,} floats = {nbytes:,} bytes; per rank and step sent (and received): "
          + ", ".join(f"N={n}: {2 * (n - 1) / n * nbytes / 1e3:.0f} kB" for n in RANKS))
    flops = 6 * MACS_PER_FRAME
    print(f"compute: {flops / 1e3:.0f} kFLOP per training frame (forward 2 x MAC, backward 4 x MAC); "
          f"batch 32 x {CHUNK} = {32 * CHUNK * flops / 1e9:.1f} GFLOP per step")
    for name, (bandwidth, latency) in NETWORKS.items():
        print(f"\n{name}: {bandwidth / 1e9:.2f} GB/s, {latency * 1e6:.0f} us per message")
        print("  N    sum per step   " + "   ".join(f"R={r / 1e3:.0f}k: compute at B=max(32,N), efficiency; B for 80 %"
                                                    for r in rates))
        for n in RANKS:
            t = t_comm(n, nbytes, bandwidth, latency)
            cells = []
            for r in rates:
                per_rank = max(1, 32 // n)
                comp = per_rank * CHUNK / r
                eff = comp / (comp + t)
                need = math.ceil(4 * t * r / CHUNK)  # sequences per rank for t_comp >= 4 t_comm
                cells.append(f"{comp * 1e3:6.1f} ms, {eff * 100:3.0f} %; B >= {n * need:>5}        ")
            print(f"  {n:<4} {t * 1e3:7.2f} ms     " + "   ".join(cells))


if __name__ == "__main__":
    main()
