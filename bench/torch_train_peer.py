#!/usr/bin/python3
"""PyTorch peer for bench/train_bench.cpp: the reference arch (def_se_nn_arch72_mel) trained with torch 1.13 on the
same batch (32 sequences x 250 frames of synthetic features), the same per-sequence dropout masks shared over
time, MSE loss against 0.5, Keras-default Adam (lr 4e-4, eps 1e-7), LSTM state carried across chunks (detached)
and a new clip every 5 chunks. Prints one line per thread count: "torch threads=N frames/s=X".

    /usr/bin/python3 bench/torch_train_peer.py [--threads 1,2] [--frames 250] [--seconds 6]

Each thread count runs in its own process (torch.set_num_threads must come before any work)."""
import argparse
import os
import subprocess
import sys
import time

SEQUENCES, FEATURES, UNITS, OUTPUTS, KERNEL = 32, 72, 72, 257, 6
DROPOUT = [0.1, 0.25, 0.25, 0.25, 0.25]


def measure(threads, frames, seconds):
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(FEATURES, UNITS, KERNEL)  # causal: history frames are prepended
            self.lstm = torch.nn.LSTM(UNITS, UNITS, batch_first=True)
            self.fc1 = torch.nn.Linear(UNITS, UNITS)
            self.fc2 = torch.nn.Linear(UNITS, UNITS)
            self.fc3 = torch.nn.Linear(UNITS, OUTPUTS)

        @staticmethod
        def drop(x, p):
            # One mask per sequence, shared over time (Keras noise_shape=(None, 1, None)), inverted scaling.
            mask = (torch.rand(x.shape[0], 1, x.shape[2]) >= p).to(x.dtype) / (1.0 - p)
            return x * mask

        def forward(self, x, state):
            x = self.drop(x, DROPOUT[0])
            x = torch.tanh(self.conv(x.transpose(1, 2))).transpose(1, 2)
            x, state = self.lstm(self.drop(x, DROPOUT[1]), state)
            x = torch.tanh(self.fc1(self.drop(x, DROPOUT[2])))
            x = torch.tanh(self.fc2(self.drop(x, DROPOUT[3])))
            x = torch.sigmoid(self.fc3(self.drop(x, DROPOUT[4])))
            return x, state

    net = Net()
    optimizer = torch.optim.Adam(net.parameters(), lr=4e-4, betas=(0.9, 0.999), eps=1e-7)
    features = torch.randn(SEQUENCES, frames + KERNEL - 1, FEATURES)
    target = torch.full((SEQUENCES, frames, OUTPUTS), 0.5)
    zero = (torch.zeros(1, SEQUENCES, UNITS), torch.zeros(1, SEQUENCES, UNITS))

    def step(i, state):
        if i % 5 == 0:
            state = zero
        optimizer.zero_grad(set_to_none=True)
        y, state = net(features, state)
        loss = torch.mean((y - target) ** 2)
        loss.backward()
        optimizer.step()
        return (state[0].detach(), state[1].detach())

    state = zero
    for i in range(3):  # warm-up
        state = step(i, state)
    steps, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while True:
        state = step(steps, state)
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and steps >= 5:
            break
    cpu = time.process_time() - cpu_start  # all threads of the process
    return steps * SEQUENCES * frames / elapsed, elapsed / steps, steps * SEQUENCES * frames / cpu


def blas_in_use():
    """The BLAS library torch's matrix products went to (Debian's torch calls whatever libblas.so.3 resolves to)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    names = sorted(os.path.basename(os.path.dirname(p)) + "/" + os.path.basename(p) for p in paths)
    return ",".join(names) if names else "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--child", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        # Before torch (and its BLAS) load: the BLAS gets as many threads as torch, no more.
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.child)
        os.environ["OMP_NUM_THREADS"] = str(args.child)
    try:
        import torch  # noqa: F401
    except ImportError as e:
        print(f"torch missing: {e}")
        return 77
    if args.child:
        rate, seconds_per_step, per_cpu_second = measure(args.child, args.frames, args.seconds)
        print(f"torch threads={args.child} frames/s={rate:.0f} step_ms={1000 * seconds_per_step:.1f} "
              f"frames_per_cpu_s={per_cpu_second:.0f} blas={blas_in_use()}", flush=True)
        return 0
    for threads in [int(t) for t in args.threads.split(",")]:
        subprocess.run([sys.executable, __file__, "--child", str(threads), "--frames", str(args.frames),
                        "--seconds", str(args.seconds)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
