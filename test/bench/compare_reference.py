"""The comparison pipeline as a researcher would write it in PyTorch + SciPy, timed stage by stage.

compare.bench.ts runs it (with /usr/bin/python3: torch 1.13, numpy, scipy) on the same
safetensors files it times the engine on; by hand:

    /usr/bin/python3 test/bench/compare_reference.py A.safetensors B.safetensors DATA.safetensors [ALPHAS] [SEED]

A and B hold an MLP as fc1.weight [out, in], fc1.bias, fc2.weight, ... ; DATA holds x F32 [n, in]
and y I64 [n]. Every sample is used for fitting, evaluation and LLFC. The last line printed is a
JSON object: stage name -> seconds, the names being compare.bench.ts's rows. Nothing is clever on
purpose: every α and every per-layer barrier is a plain forward pass of the whole network.
"""
import json
import re
import sys
import time

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

torch.set_num_threads(2)

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    """Name -> numpy array: an 8-byte little-endian header length, the JSON header, then raw data."""
    with open(path, "rb") as f:
        raw = f.read()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length])
    base = 8 + length
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(raw, dtype=dtype, count=(end - start) // dtype.itemsize, offset=base + start).reshape(info["shape"])
    return out


def layers_of(state):
    """[(weight, bias)] in layer order (fc1, fc2, ...)."""
    names = sorted((k for k in state if k.endswith(".weight")), key=lambda k: int(re.sub(r"\D", "", k)))
    return [(torch.from_numpy(state[w].copy()), torch.from_numpy(state[w[:-6] + "bias"].copy())) for w in names]


def forward(layers, x, features=False):
    hidden = []
    h = x
    for l, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if l < len(layers) - 1:
            h = torch.relu(h)
            hidden.append(h)
    return (h, hidden) if features else h


def loss_acc(logits, y):
    return float(torch.nn.functional.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())


def lerp_layers(a, b, alpha):
    return [((1 - alpha) * wa + alpha * wb, (1 - alpha) * ba + alpha * bb) for (wa, ba), (wb, bb) in zip(a, b)]


def permute(layers, perms):
    """B's unit perm[i] goes to position i in every hidden layer; inputs follow the previous layer."""
    out = []
    for l, (w, b) in enumerate(layers):
        if l < len(perms):
            w, b = w[perms[l]], b[perms[l]]
        if l > 0:
            w = w[:, perms[l - 1]]
        out.append((w, b))
    return out


def weight_matching(a, b, seed):
    """Git Re-Basin coordinate descent: each group solved exactly by linear_sum_assignment, kept only if it helps."""
    groups = len(a) - 1
    perms = [torch.arange(a[g][0].shape[0]) for g in range(groups)]
    rng = np.random.RandomState(seed)

    def gains(p):
        wb = b[p][0] if p == 0 else b[p][0][:, perms[p - 1]]
        c = a[p][0] @ wb.T + torch.outer(a[p][1], b[p][1])
        nxt = b[p + 1][0] if p + 1 == groups else b[p + 1][0][perms[p + 1]]
        return (c + a[p + 1][0].T @ nxt).double().numpy()

    for _ in range(100):
        improved = False
        for p in rng.permutation(groups):
            c = gains(p)
            _, cols = linear_sum_assignment(c, maximize=True)
            old = perms[p].numpy()
            gain = c[np.arange(len(cols)), cols].sum() - c[np.arange(len(old)), old].sum()
            if gain > 1e-12 * abs(c[np.arange(len(old)), old].sum()):
                perms[p] = torch.from_numpy(cols)
                improved = True
        if not improved:
            break
    return perms


def standardised(f):
    f = f.double()
    return (f - f.mean(0)) / f.std(0, unbiased=False).clamp_min(1e-12)


def activation_matching(a, b, x):
    _, fa = forward(a, x, True)
    _, fb = forward(b, x, True)
    perms = []
    for ha, hb in zip(fa, fb):
        corr = (standardised(ha).T @ standardised(hb) / ha.shape[0]).numpy()
        perms.append(torch.from_numpy(linear_sum_assignment(corr, maximize=True)[1]))
    return perms


def covariance_matching(a, b, x):
    _, fa = forward(a, x, True)
    perms = []
    for l in range(len(a) - 1):
        inputs = x if l == 0 else fa[l - 1]
        ext = torch.cat([inputs, torch.ones(inputs.shape[0], 1)], 1)
        sigma = ext.T @ ext / ext.shape[0]
        wb = b[l][0] if l == 0 else b[l][0][:, perms[l - 1]]
        ra = torch.cat([a[l][0], a[l][1][:, None]], 1)
        rb = torch.cat([wb, b[l][1][:, None]], 1)
        a_sigma, b_sigma = ra @ sigma, rb @ sigma
        cost = (a_sigma * ra).sum(1)[:, None] + (b_sigma * rb).sum(1)[None, :] - 2 * a_sigma @ rb.T
        perms.append(torch.from_numpy(linear_sum_assignment(cost.double().numpy())[1]))
    return perms


def measure_path(a, pb, x, y, alphas, llfc):
    curve = []
    cosines = []
    if llfc:
        _, fa = forward(a, x, True)
        _, fb = forward(pb, x, True)
        baseline = [torch.nn.functional.cosine_similarity(p, q, dim=1).mean() for p, q in zip(fa, fb)]
    for alpha in alphas:
        logits, feats = forward(lerp_layers(a, pb, alpha), x, True)
        curve.append(loss_acc(logits, y))
        if llfc:
            row = []
            for f, p, q in zip(feats, fa, fb):
                mix = (1 - alpha) * p + alpha * q
                cos = torch.nn.functional.cosine_similarity(f, mix, dim=1).mean()
                scale = ((f * mix).sum(1) / (mix * mix).sum(1)).nanmean()
                row.append((float(cos), float(scale)))
            cosines.append(row)
    return curve, cosines, (baseline if llfc else None)


def layer_barriers(a, pb, x, y, alphas):
    out = []
    for l in range(len(a)):
        curve = []
        for alpha in alphas:
            mixed = list(a)
            mixed[l] = lerp_layers([a[l]], [pb[l]], alpha)[0]
            curve.append(loss_acc(forward(mixed, x), y))
        out.append(curve)
    return out


def matching_costs(a, b, pb, perms, fa, fb):
    out = []
    for g, perm in enumerate(perms):
        before = (a[g][0] - b[g][0]).norm() / a[g][0].norm()
        after = (a[g][0] - pb[g][0]).norm() / a[g][0].norm()
        diff = (a[g][0] - pb[g][0]).pow(2).sum(1) + (a[g][1] - pb[g][1]).pow(2) + (a[g + 1][0] - pb[g + 1][0]).pow(2).sum(0)
        ref = a[g][0].pow(2).sum(1) + a[g][1].pow(2) + a[g + 1][0].pow(2).sum(0)
        unit = (diff / ref).sqrt()
        za, zb = standardised(fa[g]), standardised(fb[g])
        corr_before = (za * zb).mean(0).mean()
        corr_after = (za * zb[:, perm]).mean(0).mean()
        out.append((float(before), float(after), unit.tolist(), float(corr_before), float(corr_after)))
    return out


def dim_s(layers):
    out = []
    for w, b in layers:
        rows = torch.cat([w, b[:, None]], 1)
        rows = rows - rows.mean(0)
        gram = rows @ rows.T if rows.shape[0] <= rows.shape[1] else rows.T @ rows
        out.append(float(torch.trace(gram) ** 2 / (gram * gram).sum()))
    return out


def main():
    file_a, file_b, file_data = sys.argv[1:4]
    n_alphas = int(sys.argv[4]) if len(sys.argv) > 4 else 25
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    alphas = [i / (n_alphas - 1) for i in range(n_alphas)]
    t = {}

    def timed(name, fn):
        start = time.perf_counter()
        value = fn()
        t[name] = time.perf_counter() - start
        return value

    with torch.no_grad():
        def load():
            data = read_safetensors(file_data)
            return (layers_of(read_safetensors(file_a)), layers_of(read_safetensors(file_b)),
                    torch.from_numpy(data["x"].copy()), torch.from_numpy(data["y"].copy()))

        a, b, x, y = timed("load", load)
        fa, fb = timed("unit correlations", lambda: (forward(a, x, True)[1], forward(b, x, True)[1]))
        timed("align: naive", lambda: [torch.arange(w.shape[0]) for w, _ in a[:-1]])
        perms = timed("align: weight", lambda: weight_matching(a, b, seed))
        timed("align: activation", lambda: activation_matching(a, b, x))
        timed("align: covariance", lambda: covariance_matching(a, b, x))
        pb = timed("apply permutation", lambda: permute(b, perms))

        def equivalence():
            probe = x[:256]
            ref = forward(b, probe)
            return float(((forward(pb, probe) - ref).norm(dim=1) / ref.norm(dim=1).clamp_min(1e-12)).max())

        timed("equivalence check", equivalence)
        path_name = f"path ({n_alphas} α, loss+acc)"
        timed(path_name, lambda: measure_path(a, pb, x, y, alphas, False))
        timed("path+LLFC", lambda: measure_path(a, pb, x, y, alphas, True))
        t["LLFC (path+LLFC − path)"] = t.pop("path+LLFC") - t[path_name]
        timed("per-layer barriers (− path)", lambda: layer_barriers(a, pb, x, y, alphas))
        timed("matching costs", lambda: matching_costs(a, b, pb, perms, fa, fb))
        timed("Dim(S)", lambda: (dim_s(a), dim_s(b)))

    per_method = sum(t[k] for k in ("apply permutation", "equivalence check", path_name, "LLFC (path+LLFC − path)",
                                    "per-layer barriers (− path)", "matching costs"))
    once = sum(t[k] for k in ("load", "unit correlations", "Dim(S)")) + sum(v for k, v in t.items() if k.startswith("align: "))
    t["compareCheckpoints, 4 methods"] = once + 4 * per_method
    print(json.dumps(t))


if __name__ == "__main__":
    main()
