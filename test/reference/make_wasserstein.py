"""Independent reference for the per-layer Wasserstein-2 distances between neurons (issue 12).

Ferbach et al.: a layer's units are points, each the row of [W | b] that writes it, with uniform
weights; for n units a side, W2 = sqrt((1/n) * min over sigma of sum_i ||a_i - b_sigma(i)||^2).
For each fixture MLP of test/fixtures/compare (relu: a.pt/b.pt, tanh: tanh_a.pt/tanh_b.pt) and each
method's permutations as the PyTorch reference found them (expected.json, written by
make_reference.py), per hidden layer:
  identity: sigma the identity, B as it is;
  aligned:  sigma the method's permutation, B's inputs (columns) permuted by the previous layer's;
  optimal:  the minimum over sigma (scipy.optimize.linear_sum_assignment on the squared distances,
            in float64), B's inputs as in `aligned`.
Writes test/fixtures/compare/wasserstein.json. Re-run (seconds; Debian's python3-torch and -scipy):
    cd /work/main && /usr/bin/python3 test/reference/make_wasserstein.py
"""
import json
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "compare"


def rows(state, layer, incoming=None):
    w = state[f"{layer}.weight"].double().numpy()
    if incoming is not None:
        w = w[:, incoming]
    return np.concatenate([w, state[f"{layer}.bias"].double().numpy()[:, None]], axis=1)


def w2(a, b):
    return float(np.sqrt(np.mean(np.sum((a - b) ** 2, axis=1))))


def main():
    expected = json.loads((FIXTURES / "expected.json").read_text())
    out = {}
    for name, network in expected["networks"].items():
        sa = torch.load(FIXTURES / network["checkpoints"]["a"])
        sb = torch.load(FIXTURES / network["checkpoints"]["b"])
        out[name] = {}
        for method, result in network["methods"].items():
            perms = [np.asarray(m["permutation"]) for m in result["matching"]]
            layers = []
            for g, m in enumerate(result["matching"]):
                layer = m["layer"]
                a = rows(sa, layer)
                incoming = perms[g - 1] if g > 0 else None
                b_in = rows(sb, layer, incoming)
                cost = ((a[:, None, :] - b_in[None, :, :]) ** 2).sum(axis=2)
                r, c = linear_sum_assignment(cost)
                layers.append({
                    "layer": layer,
                    "identity": w2(a, rows(sb, layer)),
                    "aligned": w2(a, b_in[perms[g]]),
                    "optimal": float(np.sqrt(cost[r, c].sum() / len(a))),
                })
            out[name][method] = layers
    (FIXTURES / "wasserstein.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out)[:400])


if __name__ == "__main__":
    main()
