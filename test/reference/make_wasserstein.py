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
And the covariance-weighted counterpart ("covariance"), the cost covariance matching minimises:
cost(i, j) = (a_i - b_j)^T S (a_i - b_j), S = E[x~ x~^T] the uncentred second moment of the layer's
inputs x~ = [x, 1] in A (the data, then A's post-activation features) over the fit data, here the
whole of eval.npz (600 samples); the same three sigma, sqrt((1/n) * sum_i cost(i, sigma(i))).
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


def covariance_w2(writers, perm):
    """The covariance-weighted W2 of one group for sigma the identity (B as stored), the method's
    permutation and the optimum (B's inputs permuted by the method). writers: per layer writing the
    group, (rows of A, rows of B as stored, rows of B with its inputs permuted by the method, S), each
    row a unit's [w | b]; the cost is summed over the writers. The optimum is found on the expanded
    cost a^T S a + b^T S b - 2 a^T S b, every distance then summed over the differences themselves."""
    def expanded(a, b, s):
        return np.einsum("ie,ef,if->i", a, s, a)[:, None] + np.einsum("je,ef,jf->j", b, s, b)[None, :] - 2 * a @ s @ b.T

    def at(which, sigma):
        total = 0.0
        for w in writers:
            d = w[0] - w[which][sigma]
            total += float(np.einsum("ie,ef,if->", d, w[3], d))
        return float(np.sqrt(total / len(sigma)))

    n = len(perm)
    r, c = linear_sum_assignment(sum(expanded(w[0], w[2], w[3]) for w in writers))
    return {"identity": at(1, np.arange(n)), "aligned": at(2, np.asarray(perm)), "optimal": at(2, c[np.argsort(r)])}


def main():
    expected = json.loads((FIXTURES / "expected.json").read_text())
    x = np.load(FIXTURES / "eval.npz")["x"].astype(np.float64)
    out = {}
    for name, network in expected["networks"].items():
        sa = torch.load(FIXTURES / network["checkpoints"]["a"])
        sb = torch.load(FIXTURES / network["checkpoints"]["b"])
        act = (lambda z: np.maximum(z, 0.0)) if network["activation"] == "relu" else np.tanh
        out[name] = {}
        for method, result in network["methods"].items():
            perms = [np.asarray(m["permutation"]) for m in result["matching"]]
            layers = []
            inputs = x  # A's input to the layer, on the fit data
            for g, m in enumerate(result["matching"]):
                layer = m["layer"]
                a = rows(sa, layer)
                incoming = perms[g - 1] if g > 0 else None
                b_in = rows(sb, layer, incoming)
                cost = ((a[:, None, :] - b_in[None, :, :]) ** 2).sum(axis=2)
                r, c = linear_sum_assignment(cost)
                xe = np.hstack([inputs, np.ones((len(inputs), 1))])
                sigma = xe.T @ xe / len(xe)
                layers.append({
                    "layer": layer,
                    "identity": w2(a, rows(sb, layer)),
                    "aligned": w2(a, b_in[perms[g]]),
                    "optimal": float(np.sqrt(cost[r, c].sum() / len(a))),
                    "covariance": covariance_w2([(a, rows(sb, layer), b_in, sigma)], perms[g]),
                })
                inputs = act(xe @ a.T)
            out[name][method] = layers
    (FIXTURES / "wasserstein.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out)[:600])


if __name__ == "__main__":
    main()
