#!/usr/bin/python3
"""PyTorch oracle for the training engine (src/nnse/nn/network.h, src/nnse/train/engine.h).

For each architecture, <bindir>/nnse_nn_driver writes a model's weights, a pad frame, two chunks of random
features and per-output loss weights c as .npy, and runs nnse's float engine on 2 threads: chunk 1 from a fresh
clip, chunk 2 carrying the state of chunk 1 (sequence 1 padded at the end of chunk 2), loss = sum c * y^2 per
chunk, gradients truncated at the chunk boundary. This script builds the same network from torch modules in
float64 (Conv1d with the history frames prepended, nn.LSTM, nn.GRU, nn.Linear), loads the weights through an
explicit layout / gate-order mapping, runs the same two chunks (state detached in between), differentiates with
autograd, and compares outputs, losses and every parameter gradient: max |nnse - torch| / max |torch| < 1e-4
per tensor. Exit 0 = pass, 1 = mismatch, 77 = torch missing (skipped).

Mapping (nnse layout -> torch):
  conv1d weight [K, in, units], input index tau*in + f oldest first  ->  Conv1d.weight[u, f, tau]
  fc weight [in, units]                                                ->  Linear.weight = W^T
  lstm weight [in, 4u], recurrent [u, 4u], gate blocks (i, f, c, o)    ->  weight_ih / weight_hh [4u, *], blocks
                                                                           (i, f, g, o); bias -> bias_ih, bias_hh = 0
  gru weight [in, 3u], recurrent [u, 3u], gate blocks (r, z, n)        ->  weight_ih / weight_hh [3u, *], blocks
                                                                           (r, z, n); bias -> bias_ih,
                                                                           recurrent_bias -> bias_hh[2u:3u], rest 0
The redundant torch biases (LSTM bias_hh, GRU bias_hh[0:2u]) are held at zero and left out of the comparison.
"""
import argparse
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

TOLERANCE = 1e-4
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Gate blocks: nnse order -> torch order (each name is the same gate; torch calls the LSTM cell candidate "g").
LSTM_NNSE = ["i", "f", "c", "o"]
LSTM_TORCH = ["i", "f", "c", "o"]  # torch: input, forget, cell (g), output
GRU_NNSE = ["r", "z", "n"]
GRU_TORCH = ["r", "z", "n"]  # torch: reset, update, new

# Every layer type and activation, recurrent layers stacked, a conv1d after other layers, scalar_output.
MIXED_ARCH = """input_neurons 10
dropprob 0.1
layer_type fc
layer_neurons 12
activation relu6
dropprob 0.2
layer_type lstm
layer_neurons 8
activation tanh
dropprob 0.2
layer_type conv1d
num_filters 9
kernel_size 3
activation sigmoid
dropprob 0
layer_type gru
layer_neurons 7
activation tanh
dropprob 0
layer_type fc
layer_neurons 5
activation linear
scalar_output 0.5
"""

# Skip paths (concat_input) on every layer type, including the first layer (its input is the features).
CONCAT_ARCH = """input_neurons 6
dropprob 0
layer_type conv1d
num_filters 5
kernel_size 3
activation tanh
concat_input 1
dropprob 0
layer_type lstm
layer_neurons 4
activation tanh
concat_input 1
dropprob 0
layer_type gru
layer_neurons 3
activation tanh
concat_input 1
dropprob 0
layer_type fc
layer_neurons 7
activation relu6
concat_input 1
dropprob 0
layer_type fc
layer_neurons 4
activation sigmoid
"""


def gate_blocks_to_torch(w, units, nnse_order, torch_order):
    """w: nnse [rows, G*units] (Keras layout) -> torch [G*units, rows] with blocks reordered."""
    blocks = {name: w[:, k * units:(k + 1) * units] for k, name in enumerate(nnse_order)}
    return torch.cat([blocks[name] for name in torch_order], dim=1).t().contiguous()


def gate_grad_to_nnse(g, units, nnse_order, torch_order):
    """torch [G*units, rows] gradient -> nnse [rows, G*units]."""
    blocks = {name: g[k * units:(k + 1) * units, :] for k, name in enumerate(torch_order)}
    return torch.cat([blocks[name] for name in nnse_order], dim=0).t()


def gate_vector_to_torch(b, units, nnse_order, torch_order):
    blocks = {name: b[k * units:(k + 1) * units] for k, name in enumerate(nnse_order)}
    return torch.cat([blocks[name] for name in torch_order])


def gate_vector_to_nnse(b, units, nnse_order, torch_order):
    blocks = {name: b[k * units:(k + 1) * units] for k, name in enumerate(torch_order)}
    return torch.cat([blocks[name] for name in nnse_order])


def activation(name, x):
    return {"relu6": F.relu6, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda v: v}[name](x)


class TorchNet:
    def __init__(self, spec, params):
        self.layers = spec["layers"]
        self.scalar = spec["scalar_output"]
        self.modules = []
        for i, layer in enumerate(self.layers):
            prefix = f"layer{i}.{layer['type']}."
            n_in, units, kind = layer["input"], layer["units"], layer["type"]
            if kind == "conv1d":
                m = torch.nn.Conv1d(n_in, units, layer["kernel"]).double()
                w = params[prefix + "weight"]  # [K, in, units]
                m.weight.data = w.permute(2, 1, 0).contiguous()
                m.bias.data = params[prefix + "bias"].clone()
            elif kind == "fc":
                m = torch.nn.Linear(n_in, units).double()
                m.weight.data = params[prefix + "weight"].t().contiguous()
                m.bias.data = params[prefix + "bias"].clone()
            elif kind == "lstm":
                m = torch.nn.LSTM(n_in, units, batch_first=True).double()
                m.weight_ih_l0.data = gate_blocks_to_torch(params[prefix + "weight"], units, LSTM_NNSE, LSTM_TORCH)
                m.weight_hh_l0.data = gate_blocks_to_torch(params[prefix + "recurrent_weight"], units, LSTM_NNSE,
                                                           LSTM_TORCH)
                m.bias_ih_l0.data = gate_vector_to_torch(params[prefix + "bias"], units, LSTM_NNSE, LSTM_TORCH)
                m.bias_hh_l0.data = torch.zeros(4 * units, dtype=torch.float64)
            elif kind == "gru":
                m = torch.nn.GRU(n_in, units, batch_first=True).double()
                m.weight_ih_l0.data = gate_blocks_to_torch(params[prefix + "weight"], units, GRU_NNSE, GRU_TORCH)
                m.weight_hh_l0.data = gate_blocks_to_torch(params[prefix + "recurrent_weight"], units, GRU_NNSE,
                                                           GRU_TORCH)
                m.bias_ih_l0.data = gate_vector_to_torch(params[prefix + "bias"], units, GRU_NNSE, GRU_TORCH)
                m.bias_hh_l0.data = torch.cat([torch.zeros(2 * units, dtype=torch.float64),
                                               params[prefix + "recurrent_bias"].clone()])
            else:
                raise ValueError(kind)
            self.modules.append(m)

    def initial_state(self, sequences, pad):
        state = []
        for i, layer in enumerate(self.layers):
            kind, n_in, units = layer["type"], layer["input"], layer["units"]
            if kind == "conv1d":
                k = layer["kernel"]
                frame = pad if i == 0 else torch.zeros(n_in, dtype=torch.float64)
                state.append(frame.expand(sequences, k - 1, n_in).clone())
            elif kind == "lstm":
                z = torch.zeros(1, sequences, units, dtype=torch.float64)
                state.append((z, z.clone()))
            elif kind == "gru":
                state.append(torch.zeros(1, sequences, units, dtype=torch.float64))
            else:
                state.append(None)
        return state

    def run(self, x, state):
        """x [S, T, D]; returns y [S, T, O] and the state after the chunk (detached: truncated BPTT)."""
        out, new_state = x, []
        for layer, m, s in zip(self.layers, self.modules, state):
            kind, layer_input = layer["type"], out
            if kind == "conv1d":
                k = layer["kernel"]
                full = torch.cat([s, out], dim=1)  # history frames first, oldest first
                y = m(full.transpose(1, 2)).transpose(1, 2)
                out = activation(layer["activation"], y)
                new_state.append(full[:, full.shape[1] - (k - 1):, :].detach() if k > 1 else s)
            elif kind == "fc":
                out = activation(layer["activation"], m(out))
                new_state.append(None)
            elif kind == "lstm":
                out, (h, c) = m(out, s)
                new_state.append((h.detach(), c.detach()))
            elif kind == "gru":
                out, h = m(out, s)
                new_state.append(h.detach())
            if layer.get("concat_input"):
                out = torch.cat([out, layer_input], dim=2)
        return out * self.scalar, new_state

    def zero_grad(self):
        for m in self.modules:
            for p in m.parameters():
                p.grad = None

    def gradients(self):
        """Gradients in nnse's names and layouts."""
        g = {}
        for i, (layer, m) in enumerate(zip(self.layers, self.modules)):
            prefix = f"layer{i}.{layer['type']}."
            kind, units = layer["type"], layer["units"]
            if kind == "conv1d":
                g[prefix + "weight"] = m.weight.grad.permute(2, 1, 0)
                g[prefix + "bias"] = m.bias.grad
            elif kind == "fc":
                g[prefix + "weight"] = m.weight.grad.t()
                g[prefix + "bias"] = m.bias.grad
            elif kind == "lstm":
                g[prefix + "weight"] = gate_grad_to_nnse(m.weight_ih_l0.grad, units, LSTM_NNSE, LSTM_TORCH)
                g[prefix + "recurrent_weight"] = gate_grad_to_nnse(m.weight_hh_l0.grad, units, LSTM_NNSE, LSTM_TORCH)
                g[prefix + "bias"] = gate_vector_to_nnse(m.bias_ih_l0.grad, units, LSTM_NNSE, LSTM_TORCH)
            elif kind == "gru":
                g[prefix + "weight"] = gate_grad_to_nnse(m.weight_ih_l0.grad, units, GRU_NNSE, GRU_TORCH)
                g[prefix + "recurrent_weight"] = gate_grad_to_nnse(m.weight_hh_l0.grad, units, GRU_NNSE, GRU_TORCH)
                g[prefix + "bias"] = gate_vector_to_nnse(m.bias_ih_l0.grad, units, GRU_NNSE, GRU_TORCH)
                g[prefix + "recurrent_bias"] = m.bias_hh_l0.grad[2 * units:]
        return g


def load(path):
    return torch.from_numpy(np.load(path).astype(np.float64))


def relative_error(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        return float("inf")
    scale = max(np.max(np.abs(theirs)), 1e-30)
    return float(np.max(np.abs(ours - theirs)) / scale)


def check_arch(name, arch_file, args, sequences, frames):
    out = os.path.join(args.workdir, name)
    os.makedirs(out, exist_ok=True)
    driver = os.path.join(args.bindir, "nnse_nn_driver")
    cmd = [driver, "--arch", arch_file, "--out", out, "--seed", "5", "--sequences", str(sequences),
           "--frames", f"{frames[0]},{frames[1]}", "--threads", "2"]
    subprocess.run(cmd, check=True)
    with open(os.path.join(out, "layers.json")) as f:
        spec = json.load(f)
    params = {}
    for file in sorted(os.listdir(out)):
        if file.startswith("param_") and file.endswith(".npy"):
            params[file[len("param_"):-len(".npy")]] = load(os.path.join(out, file))
    net = TorchNet(spec, params)
    state = net.initial_state(sequences, load(os.path.join(out, "pad.npy")))
    losses = np.load(os.path.join(out, "loss.npy"))
    worst, failures = 0.0, []

    def compare(what, ours, theirs):
        nonlocal worst
        err = relative_error(ours, theirs)
        worst = max(worst, err)
        status = "ok" if err < TOLERANCE else "MISMATCH"
        print(f"  {name:10s} {what:42s} rel err {err:.2e}  {status}")
        if err >= TOLERANCE:
            failures.append(f"{name}: {what}")

    for chunk in (1, 2):
        x = load(os.path.join(out, f"x{chunk}.npy"))
        c = load(os.path.join(out, f"c{chunk}.npy"))
        net.zero_grad()
        y, state = net.run(x, state)
        loss = (c * y * y).sum()
        loss.backward()
        compare(f"chunk {chunk} output", np.load(os.path.join(out, f"y{chunk}.npy")), y.detach().numpy())
        compare(f"chunk {chunk} loss", losses[chunk - 1], loss.item())
        grads = net.gradients()
        for pname in params:
            ours = np.load(os.path.join(out, f"grad{chunk}_{pname}.npy"))
            compare(f"chunk {chunk} d/d {pname}", ours, grads[pname].detach().numpy())
    return worst, failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnse", required=False)
    parser.add_argument("--bindir", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    torch.set_num_threads(1)
    mixed = os.path.join(args.workdir, "def_mixed.txt")
    with open(mixed, "w") as f:
        f.write(MIXED_ARCH)
    concat = os.path.join(args.workdir, "def_concat.txt")
    with open(concat, "w") as f:
        f.write(CONCAT_ARCH)
    cases = [
        ("reference", os.path.join(SOURCE, "nn_arch", "def_se_nn_arch72_mel.txt"), 4, (12, 9)),
        ("gru", os.path.join(SOURCE, "nn_arch", "def_se_nn_arch72_mel_gru.txt"), 4, (12, 9)),
        ("mixed", mixed, 5, (7, 6)),
        ("skip", os.path.join(SOURCE, "nn_arch", "def_se_nn_arch72_mel_skip.txt"), 4, (12, 9)),
        ("concat", concat, 3, (7, 6)),
    ]
    worst, failures = 0.0, []
    for name, arch_file, sequences, frames in cases:
        w, f = check_arch(name, arch_file, args, sequences, frames)
        worst = max(worst, w)
        failures += f
    print(f"worst relative error {worst:.2e} (tolerance {TOLERANCE:g})")
    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
