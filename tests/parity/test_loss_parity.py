#!/usr/bin/python3
"""PyTorch oracle for the training losses (src/nnse/train/loss.h).

Writes noisy / clean spectra (torch.stft of synthetic signals, framed like nnse's stft()), gains and frame
masks as .npy, runs <bindir>/nnse_loss_driver, and compares every loss and its gradient dL/dG with the same
formula written with torch ops in float64 and differentiated by autograd. The time-domain losses go through
torch.istft. Exit 0 = pass, 1 = mismatch, 77 = torch missing (skipped).

Framing of nnse (nnse/dsp/stft.h): frame t covers samples [hop*t - (win-hop), hop*t + hop), sqrt-Hann window of
480 samples zero-padded at the end to the 512-point FFT, unnormalized DFT; the inverse is plain overlap-add of the
windowed inverse DFTs, aligned with the analysis input, with no window-sum normalization.
"""
import argparse
import math
import os
import subprocess
import sys

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

RATE, WIN, HOP, NFFT = 16000, 480, 160, 512
BINS = NFFT // 2 + 1
HISTORY = WIN - HOP
NAMES = ["mag_mse", "mag_mae", "log_mse", "cplx_mse", "cplx_mae", "cmag_mse", "ccplx_mse", "cmix",
         "si_sdr", "wsdr", "spec_corr", "nnse_pow", "tsnr", "bwsdr"]
DEFAULT_EPS = {"mag_mse": 0.0, "mag_mae": 0.0, "log_mse": 1e-8, "cplx_mse": 0.0, "cplx_mae": 0.0,
               "cmag_mse": 1e-6, "ccplx_mse": 1e-6, "cmix": 1e-6, "si_sdr": 1e-8, "wsdr": 1e-8,
               "spec_corr": 1e-6, "nnse_pow": 1e-6, "tsnr": 1e-8, "bwsdr": 1e-8}
TOLERANCE = 1e-4


def window512():
    n = torch.arange(WIN, dtype=torch.float64)
    w = torch.sqrt((HOP / WIN) * (1.0 - torch.cos(2.0 * math.pi * n / WIN)))
    return torch.cat([w, torch.zeros(NFFT - WIN, dtype=torch.float64)])  # zero-padded at the end, like nnse


def stft_nnse(x, frames):
    """torch.stft with nnse's framing: (win - hop) zeros of history in front, center=False."""
    padded = torch.cat([torch.zeros(HISTORY, dtype=x.dtype), x,
                        torch.zeros(max(0, HOP * frames + NFFT - HISTORY - x.numel()), dtype=x.dtype)])
    spec = torch.stft(padded, n_fft=NFFT, hop_length=HOP, win_length=NFFT, window=window512(), center=False,
                      return_complex=True)
    return spec[:, :frames].transpose(0, 1)  # [frames][bins]


def istft_nnse(spec, length):
    """torch.istft reproducing nnse's istft(): two all-zero frames on each side make the squared-window sum
    exactly 1 over the returned samples (so torch's normalization divides by 1 and adds nothing), and keep it
    nonzero where torch checks it. center=True only moves the start of torch's output by n_fft/2 (with
    center=False torch refuses this window, whose first sample is 0: the sum there is 0); the slice below puts
    sample n of nnse's output at index n either way."""
    frames = spec.shape[0]
    zeros = torch.zeros(2, BINS, dtype=spec.dtype)
    padded = torch.cat([zeros, spec, zeros]).transpose(0, 1)  # [bins][frames + 4]
    # Frame t of `spec` is padded frame t + 2, which starts at OLA index HOP * (t + 2) and holds nnse samples
    # from HOP * t - HISTORY: nnse sample n is OLA index n + 2 * HOP + HISTORY, i.e. output index n + offset.
    offset = 2 * HOP + HISTORY - NFFT // 2
    y = torch.istft(padded, n_fft=NFFT, hop_length=HOP, win_length=NFFT, window=window512(), center=True,
                    length=offset + length)
    assert frames * HOP == length
    return y[offset:]


def compress(x, c, eps):
    return (x + eps) ** c - eps ** c


def band_edges(bands=16):
    """bwsdr's bands: edges equally spaced on the HTK mel scale over 0 .. RATE/2, rounded to bins, each >= 1 bin."""
    top = 2595 * math.log10(1 + RATE / 2 / 700)
    edges = [0]
    for b in range(1, bands):
        hz = 700 * (10 ** (top * b / bands / 2595) - 1)
        edges.append(max(int(math.floor(hz / (RATE / NFFT) + 0.5)), edges[-1] + 1))
    return edges + [BINS]


def bwsdr(Y, S, Sh, valid, eps):
    """wsdr within each band over the valid frames of a sequence, mean over bands, mean over sequences."""
    edges = band_edges()
    m = valid.unsqueeze(-1)
    inner = lambda p, q: ((p.real * q.real + p.imag * q.imag) * m).sum(dim=(1, 2))
    total = torch.zeros((), dtype=torch.float64)
    N, Nh = Y - S, Y - Sh
    for lo, hi in zip(edges[:-1], edges[1:]):
        s, sh, n, nh = S[..., lo:hi], Sh[..., lo:hi], N[..., lo:hi], Nh[..., lo:hi]
        ss, nn = inner(s, s), inner(n, n)
        cos = lambda p, q, pp: inner(p, q) / torch.sqrt((pp + eps) * (inner(q, q) + eps))
        w = ss / (ss + nn + eps)
        total = total - (w * cos(s, sh, ss) + (1 - w) * cos(n, nh, nn)).sum()
    return total / (Y.shape[0] * (len(edges) - 1))


def torch_loss(name, Y, S, G, valid, c, a, eps):
    """The loss of Table 1 (docs/reference-facts.md section 4) with nnse's normalization (src/nnse/train/loss.h), autograd-ready."""
    if eps < 0:
        eps = DEFAULT_EPS[name]
    Sh = G * Y
    m = valid.unsqueeze(-1)  # [B][T][1]
    V = valid.sum()
    E = lambda l: (l * m).sum() / (V * BINS)
    aS, aH = S.abs(), Sh.abs()
    if name == "mag_mse":
        return E((aS - aH) ** 2)
    if name == "mag_mae":
        return E((aS - aH).abs())
    if name == "log_mse":
        return E((torch.log10(aS ** 2 + eps) - torch.log10(Sh.real ** 2 + Sh.imag ** 2 + eps)) ** 2)
    if name == "cplx_mse":
        d = S - Sh
        return E(d.real ** 2 + d.imag ** 2)
    if name == "cplx_mae":
        d = S - Sh
        return E(d.real.abs() + d.imag.abs())
    cmag = lambda: E((compress(aS, c, eps) - compress(aH, c, eps)) ** 2)

    def unit(z, mag):  # phasor, 0 for a zero bin (silent frames of the clean signal are exactly 0)
        return torch.where(mag > 0, z / torch.where(mag > 0, mag, torch.ones_like(mag)), torch.zeros_like(z))

    def ccplx():
        d = compress(aS, c, eps) * unit(S, aS) - compress(aH, c, eps) * unit(Sh, aH)
        return E(d.real ** 2 + d.imag ** 2)

    if name == "cmag_mse":
        return cmag()
    if name == "ccplx_mse":
        return ccplx()
    if name == "cmix":
        return (1 - a) * cmag() + a * ccplx()
    if name == "nnse_pow":
        return (((compress(aS, 0.6, eps) - compress(aH, 0.6, eps)) ** 2) * m).sum() / V
    if name == "spec_corr":
        u, v = compress(aS, c, eps), compress(aH, c, eps)
        cos = (u * v).sum(-1) / torch.sqrt(((u * u).sum(-1) + eps) * ((v * v).sum(-1) + eps))
        return ((1 - cos) * valid).sum() / V
    if name == "bwsdr":
        return bwsdr(Y, S, Sh, valid, eps)
    # Time domain: each sequence over its valid frames, mean over all sequences.
    total = torch.zeros((), dtype=torch.float64)
    for b in range(Y.shape[0]):
        T = int(valid[b].sum().item())
        if T == 0:
            continue
        L = T * HOP
        s, sh = istft_nnse(S[b, :T], L), istft_nnse(Sh[b, :T], L)
        if name == "si_sdr":
            beta = (sh * s).sum() / ((s * s).sum() + eps)
            target = beta * s
            total = total - 10 * torch.log10(((target ** 2).sum() + eps) / (((target - sh) ** 2).sum() + eps))
        elif name == "tsnr":
            y = istft_nnse(Y[b, :T], L)
            total = total - 10 * torch.log10(((s * s).sum() + eps) /
                                             (((s - sh) ** 2).sum() + 1e-3 * (y * y).sum() + eps))
        elif name == "wsdr":
            y = istft_nnse(Y[b, :T], L)
            n, nh = y - s, y - sh
            cos = lambda p, q: (p * q).sum() / torch.sqrt(((p * p).sum() + eps) * ((q * q).sum() + eps))
            w = (s * s).sum() / ((s * s).sum() + (n * n).sum() + eps)
            total = total - (w * cos(s, sh) + (1 - w) * cos(n, nh))
        else:
            raise ValueError(name)
    return total / Y.shape[0]


def speech_like(length, rng):
    t = np.arange(length) / RATE
    f0 = (110 + 40 * rng.random()) * (1 + 0.15 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    x = sum(np.sin(h * phase) / h for h in range(1, 25))
    return 0.2 * np.maximum(0.0, np.sin(2 * np.pi * 4 * t + rng.random())) * x


def make_data(rng):
    frames = [60, 43, 25, 0]  # valid frames per sequence; the last sequence is all padding
    T = max(frames)
    B = len(frames)
    Y = torch.zeros(B, T, BINS, dtype=torch.complex128)
    S = torch.zeros(B, T, BINS, dtype=torch.complex128)
    valid = torch.zeros(B, T, dtype=torch.float64)
    for b, n in enumerate(frames):
        length = n * HOP
        if n:
            s = speech_like(length, rng)
            y = s + 0.05 * rng.standard_normal(length)
            S[b, :n] = stft_nnse(torch.from_numpy(s), n)
            Y[b, :n] = stft_nnse(torch.from_numpy(y), n)
            valid[b, :n] = 1
        # Padding holds junk: it must not matter.
        S[b, n:] = torch.from_numpy(rng.standard_normal((T - n, BINS)) + 1j * rng.standard_normal((T - n, BINS)))
        Y[b, n:] = torch.from_numpy(rng.standard_normal((T - n, BINS)) + 1j * rng.standard_normal((T - n, BINS)))
    # Round to float32, which is what nnse gets; both sides then start from identical numbers.
    Y = Y.to(torch.complex64).to(torch.complex128)
    S = S.to(torch.complex64).to(torch.complex128)
    G = torch.from_numpy(rng.uniform(0.05, 1.5, size=(B, T, BINS))).to(torch.float32).to(torch.float64)
    return Y, S, G, valid


def save_complex(path, z):
    np.save(path, np.stack([z.real.numpy(), z.imag.numpy()], axis=-1).astype(np.float32))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnse", required=True)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    driver = os.path.join(args.bindir, "nnse_loss_driver")
    if not os.path.exists(driver):
        print(f"FAIL: {driver} not built")
        return 1

    rng = np.random.default_rng(1234)
    Y, S, G, valid = make_data(rng)
    save_complex(os.path.join(args.workdir, "noisy.npy"), Y)
    save_complex(os.path.join(args.workdir, "clean.npy"), S)
    np.save(os.path.join(args.workdir, "gain.npy"), G.numpy().astype(np.float32))
    np.save(os.path.join(args.workdir, "valid.npy"), valid.numpy().astype(np.float32))

    failures = 0
    worst = 0.0
    for tag, c, a, eps in [("default", 0.3, 0.3, -1.0), ("knobs", 0.5, 0.6, 1e-4)]:
        run = subprocess.run([driver, args.workdir, repr(c), repr(a), repr(eps), tag], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"FAIL: driver exited {run.returncode}: {run.stderr.strip()}")
            return 1
        for name in NAMES:
            g = G.clone().requires_grad_(True)
            loss = torch_loss(name, Y, S, g, valid, c, a, eps)
            loss.backward()
            ref_value, ref_grad = loss.item(), g.grad.numpy()
            value = float(np.load(os.path.join(args.workdir, f"{tag}_loss_{name}.npy"))[0])
            grad = np.load(os.path.join(args.workdir, f"{tag}_grad_{name}.npy")).astype(np.float64)
            value_err = abs(value - ref_value) / max(abs(ref_value), 1e-12)
            grad_err = np.abs(grad - ref_grad).max() / max(np.abs(ref_grad).max(), 1e-30)
            worst = max(worst, value_err, grad_err)
            ok = value_err < TOLERANCE and grad_err < TOLERANCE and np.all(np.isfinite(grad))
            failures += 0 if ok else 1
            print(f"{'ok  ' if ok else 'FAIL'} {tag:8s} {name:10s} loss nnse {value: .9e} torch {ref_value: .9e} "
                  f"rel.err {value_err:.1e}  grad max.err/max {grad_err:.1e}")
    print(f"worst relative error {worst:.2e} (tolerance {TOLERANCE:g}); {failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
