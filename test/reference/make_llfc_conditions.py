"""Independent reference for LLFC's two conditions (Zhou et al. 2023, "Going Beyond Linear Mode
Connectivity", section 5) and the covariance-weighted Wasserstein-2 distance (issue 12), written
from the definitions in src/shared/compareReport.ts and the README, not from the TypeScript.

Definitions (float64 throughout, from the float32 checkpoints and inputs)
  Samples: the first N evaluation samples of test/fixtures/compare/eval.npz (not normalised), A and
  pi(B) each run on its own, BatchNorm in eval mode (the stored running statistics).
  Weak additivity, per activation (named as the report's LLFC entries: the layer with weights, or
  the residual sum, that feeds it): hA, hB the values at the activation's input (pre-activations,
  bias and BatchNorm included), u = s(hA + hB), v = s(hA) + s(hB), s the network's activation.
  Commutativity, per layer with weights: HA, HB its inputs, WA, WB its weights as stored (no bias,
  BatchNorm not folded), u = WA.HA + WB.HB, v = WA.HB + WB.HA (a convolution applied with the
  layer's stride and padding; a linear layer as x @ W^T).
  For a pair (u, v) of [N, ...] tensors: dissimilarity = 1 - cos(u, v) and coefficient =
  <u, v> / ||v||^2, "flat" over the flattened [N x features] tensor, "mean" the mean over samples
  of each sample's own; a sample whose u or v is all zero is left out of the dissimilarity mean,
  one whose v is all zero out of the coefficient mean (counted in leftOut); distance =
  ||u - v|| / ||u|| over everything (commutativity only).
  Shuffled baseline: the same with pi(B)'s sample i replaced by sample (i + 1) mod N.

Permutations (A's unit i <-> B's unit perm[i])
  MLPs (test/fixtures/compare a.pt/b.pt, relu; tanh_a.pt/tanh_b.pt, tanh): every method's from
  test/fixtures/compare/expected.json (make_reference.py's own weight, activation and covariance
  matching).
  Conv nets (test/fixtures/conv vgg_*.pt, resnet_*.pt; models and permutation specs from
  make_conv_reference.py): naive, weight and activation from test/fixtures/conv/expected.json
  (make_conv_reference.py's); covariance matching computed here (that reference has none), from
  the README's definition: layer by layer in network order, rows [w | b] with the following
  BatchNorm folded in (eval: s = g / sqrt(var + eps), w <- s w, b <- s (b - mean) + beta), S =
  E[x~ x~^T] of A's input rows x~ = [x, 1] on the fit samples (a convolution: one row per sample
  and output position, its input patch (channel, dy, dx); at most 65,536 rows, those of the first
  samples in order), cost (a - b)^T S (a - b); a group is matched when its first writer is
  reached, on the summed costs of the writers whose inputs are aligned by then.

Covariance W2 (conv nets; the MLPs' are make_wasserstein.py's), per group, summed over every layer
writing it: see make_wasserstein.covariance_w2; and the plain W2, each unit the vector of every
parameter that writes it (conv/linear weight row and bias, BatchNorm weight and bias).

Writes test/fixtures/compare/conditions.json and test/fixtures/conv/conditions.json. Re-run
(about a minute on 2 cores; Debian's python3-torch, numpy and scipy):
    cd /work/main && /usr/bin/python3 test/reference/make_llfc_conditions.py
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_conv_reference import permute_state, resnet_spec, vgg_spec  # noqa: E402
from make_reference import permute  # noqa: E402  π(B) of an MLP, as the alignment reference makes it
from make_wasserstein import covariance_w2  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
COMPARE = ROOT / "test" / "fixtures" / "compare"
CONV = ROOT / "test" / "fixtures" / "conv"
MLP_SAMPLES = 250
CONV_SAMPLES = 100
CONV_FIT_SAMPLES = 600
MAX_PATCH_ROWS = 1 << 16
BN_EPS = 1e-5

# ---------------------------------------------------------------- the measures


def pair_measures(u, v):
    u, v = (t.numpy() if torch.is_tensor(t) else t for t in (u, v))
    n = u.shape[0]
    u, v = u.reshape(n, -1), v.reshape(n, -1)
    dot, uu, vv = (u * v).sum(1), (u * u).sum(1), (v * v).sum(1)
    keep_cos = (uu > 0) & (vv > 0)
    keep_coef = vv > 0
    return {
        "dissimilarity": {
            "flat": float(1 - dot.sum() / np.sqrt(uu.sum() * vv.sum())),
            "mean": float(np.mean(1 - dot[keep_cos] / np.sqrt(uu[keep_cos] * vv[keep_cos]))),
        },
        "coefficient": {"flat": float(dot.sum() / vv.sum()), "mean": float(np.mean(dot[keep_coef] / vv[keep_coef]))},
        "distance": float(np.linalg.norm(u - v) / np.linalg.norm(u)),
        "leftOut": int((~keep_cos).sum()),
    }


def conditions(record_a, record_b, record_shifted, activation, product, weights_a, weights_b):
    """record_*: (pre-activations by activation name, layer inputs by layer name), in network order."""
    pre_a, in_a = record_a
    additivity, commutativity = [], []
    for name in pre_a:
        entry = {"layer": name}
        for key, (pre_b, _) in (("aligned", record_b), ("shuffled", record_shifted)):
            ha, hb = pre_a[name], pre_b[name]
            m = pair_measures(activation(ha + hb), activation(ha) + activation(hb))
            entry[key] = {"dissimilarity": m["dissimilarity"], "coefficient": m["coefficient"], "leftOut": m["leftOut"]}
        additivity.append(entry)
    for name in in_a:
        entry = {"layer": name}
        for key, (_, in_b) in (("aligned", record_b), ("shuffled", record_shifted)):
            ha, hb = in_a[name], in_b[name]
            wa, wb = weights_a[name], weights_b[name]
            u = product(name, ha, wa) + product(name, hb, wb)
            v = product(name, hb, wa) + product(name, ha, wb)
            m = pair_measures(u, v)
            entry[key] = {"distance": m["distance"], "dissimilarity": m["dissimilarity"], "leftOut": m["leftOut"]}
        commutativity.append(entry)
    return {"additivity": additivity, "commutativity": commutativity}


def shifted(x):
    return np.concatenate([x[1:], x[:1]]) if isinstance(x, np.ndarray) else torch.cat([x[1:], x[:1]])


# ---------------------------------------------------------------- MLPs


MLP_LAYERS = ("0", "2", "4")


def mlp_layers(state):
    return [(state[f"{n}.weight"].double().numpy(), state[f"{n}.bias"].double().numpy()) for n in MLP_LAYERS]


def mlp_record(layers, x, activation):
    pre, inputs = {}, {}
    h = x
    for i, (w, b) in enumerate(layers):
        name = MLP_LAYERS[i]
        inputs[name] = h
        z = h @ w.T + b
        if i < len(layers) - 1:
            pre[name] = z
            h = activation(z)
    return pre, inputs


def mlp_conditions():
    expected = json.loads((COMPARE / "expected.json").read_text())
    x = np.load(COMPARE / "eval.npz")["x"].astype(np.float64)[:MLP_SAMPLES]
    out = {}
    for name, network in expected["networks"].items():
        la = mlp_layers(torch.load(COMPARE / network["checkpoints"]["a"]))
        lb = mlp_layers(torch.load(COMPARE / network["checkpoints"]["b"]))
        activation = (lambda z: np.maximum(z, 0.0)) if network["activation"] == "relu" else np.tanh
        methods = {}
        for method, result in network["methods"].items():
            lpb = permute(lb, [np.asarray(m["permutation"]) for m in result["matching"]])
            methods[method] = conditions(
                mlp_record(la, x, activation), mlp_record(lpb, x, activation), mlp_record(lpb, shifted(x), activation),
                activation, lambda _, h, w: h @ w.T,
                {MLP_LAYERS[i]: w for i, (w, _) in enumerate(la)}, {MLP_LAYERS[i]: w for i, (w, _) in enumerate(lpb)},
            )
        out[name] = {"checkpoints": network["checkpoints"], "activation": network["activation"], "methods": methods}
    return out


# ---------------------------------------------------------------- conv nets, functional


def bn_eval(z, s, bn):
    shape = (1, -1, 1, 1) if z.dim() == 4 else (1, -1)
    scale = s[f"{bn}.weight"] / torch.sqrt(s[f"{bn}.running_var"] + BN_EPS)
    return (z - s[f"{bn}.running_mean"].reshape(shape)) * scale.reshape(shape) + s[f"{bn}.bias"].reshape(shape)


# Per layer with weights, in network order: (kind, stride, padding, BatchNorm after it, group it
# writes (None: the logits), group its inputs lie in (None: the data)).
VGG_LAYERS = {
    "features.0": ("conv", 1, 1, "features.1", "features.0", None),
    "features.3": ("conv", 1, 1, "features.4", "features.3", "features.0"),
    "features.7": ("conv", 1, 1, "features.8", "features.7", "features.3"),
    "classifier.0": ("linear", None, None, None, "classifier.0", "features.7"),
    "classifier.3": ("linear", None, None, None, None, "classifier.0"),
}
RESNET_LAYERS = {"conv1": ("conv", 1, 1, "bn1", "conv1", None)}
for _s, _j in ((1, 0), (1, 1), (2, 0), (2, 1)):
    _b = f"layer{_s}.{_j}"
    _stage = "conv1" if _s == 1 else "layer2.0.conv2"
    _stage_in = "conv1" if (_s == 1 or _j == 0) else "layer2.0.conv2"
    RESNET_LAYERS[f"{_b}.conv1"] = ("conv", 2 if (_s, _j) == (2, 0) else 1, 1, f"{_b}.bn1", f"{_b}.conv1", _stage_in)
    RESNET_LAYERS[f"{_b}.conv2"] = ("conv", 1, 1, f"{_b}.bn2", _stage, f"{_b}.conv1")
    if (_s, _j) == (2, 0):
        RESNET_LAYERS["layer2.0.downsample.0"] = ("conv", 2, 0, "layer2.0.downsample.1", "layer2.0.conv2", "conv1")
RESNET_LAYERS["fc"] = ("linear", None, None, None, None, "layer2.0.conv2")
LAYERS = {"vgg": VGG_LAYERS, "resnet": RESNET_LAYERS}
SPECS = {"vgg": vgg_spec, "resnet": resnet_spec}


def apply(name, layers, h, w, bias=None):
    kind, stride, padding = layers[name][:3]
    if kind == "conv":
        return F.conv2d(h, w, bias, stride=stride, padding=padding)
    return F.linear(h, w, bias)


def vgg_record(s, x):
    """Pre-activations by activation name and layer inputs by layer name, both in network order."""
    pre, inputs = {}, {}
    h = x
    for conv, pool in (("features.0", False), ("features.3", True), ("features.7", True)):
        inputs[conv] = h
        z = bn_eval(apply(conv, VGG_LAYERS, h, s[f"{conv}.weight"], s[f"{conv}.bias"]), s, VGG_LAYERS[conv][3])
        pre[conv] = z
        h = F.relu(z)
        if pool:
            h = F.max_pool2d(h, 2)
    h = torch.flatten(h, 1)
    for layer in ("classifier.0", "classifier.3"):
        inputs[layer] = h
        z = F.linear(h, s[f"{layer}.weight"], s[f"{layer}.bias"])
        if layer == "classifier.0":
            pre[layer] = z
            h = F.relu(z)
    return pre, inputs


def resnet_record(s, x):
    pre, inputs = {}, {}

    def unit(layer, h):
        inputs[layer] = h
        return bn_eval(apply(layer, RESNET_LAYERS, h, s[f"{layer}.weight"]), s, RESNET_LAYERS[layer][3])

    z = unit("conv1", x)
    pre["conv1"] = z
    h = F.relu(z)
    for stage, block in ((1, 0), (1, 1), (2, 0), (2, 1)):
        b = f"layer{stage}.{block}"
        z = unit(f"{b}.conv1", h)
        pre[f"{b}.conv1"] = z
        z2 = unit(f"{b}.conv2", F.relu(z))
        skip = unit(f"{b}.downsample.0", h) if f"{b}.downsample.0" in RESNET_LAYERS else h
        pre[b] = z2 + skip
        h = F.relu(z2 + skip)
    h = torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)
    inputs["fc"] = h
    # The engine lists layers in network order: a block's shortcut after its second convolution.
    order = [k for k in RESNET_LAYERS if k in inputs]
    return pre, {k: inputs[k] for k in order}


RECORD = {"vgg": vgg_record, "resnet": resnet_record}


def double_state(state):
    return {k: v.double() for k, v in state.items() if v.is_floating_point()}


def unit_rows(net, s, layer, in_perm=None):
    """Rows [w | b] of the layer's units with the BatchNorm after it folded in; B's inputs reordered by in_perm."""
    kind, _, _, bn, _, _ = LAYERS[net][layer]
    w = s[f"{layer}.weight"]
    if in_perm is not None:
        if net == "vgg" and layer == "classifier.0":
            w = w.reshape(w.shape[0], 16, -1)[:, in_perm].reshape(w.shape[0], -1)
        else:
            w = w[:, in_perm]
    w = w.reshape(w.shape[0], -1)
    b = s.get(f"{layer}.bias", torch.zeros(w.shape[0], dtype=torch.float64))
    if bn is not None:
        scale = s[f"{bn}.weight"] / torch.sqrt(s[f"{bn}.running_var"] + BN_EPS)
        w = w * scale[:, None]
        b = scale * (b - s[f"{bn}.running_mean"]) + s[f"{bn}.bias"]
    return torch.cat([w, b[:, None]], 1).numpy()


def input_moment(net, layer, h, kernel):
    """S = E[x~ x~^T] of the layer's input rows under A, at most MAX_PATCH_ROWS rows."""
    kind, stride, padding = LAYERS[net][layer][:3]
    if kind == "conv":
        k = kernel
        rows = F.unfold(h, k, padding=padding, stride=stride).transpose(1, 2).reshape(-1, h.shape[1] * k * k)
    else:
        rows = h.reshape(len(h), -1)
    rows = rows[:MAX_PATCH_ROWS].numpy()
    xe = np.hstack([rows, np.ones((len(rows), 1))])
    return xe.T @ xe / len(xe)


def covariance_matching(net, sa, sb, sigmas, groups):
    perms = {}
    for layer, (_, _, _, _, group, _) in LAYERS[net].items():
        if group is None or group in perms:
            continue
        writers = [w for w, spec in LAYERS[net].items() if spec[4] == group and (spec[5] is None or spec[5] in perms)]
        n = None
        cost = 0
        for w in writers:
            src = LAYERS[net][w][5]
            a = unit_rows(net, sa, w)
            b = unit_rows(net, sb, w, None if src is None else perms[src])
            s = sigmas[w]
            n = len(a)
            cost = cost + np.einsum("ie,ef,if->i", a, s, a)[:, None] + np.einsum("je,ef,jf->j", b, s, b)[None, :] - 2 * a @ s @ b.T
        r, c = linear_sum_assignment(cost)
        assert list(r) == list(range(n))
        perms[group] = c
    return {g: perms[g] for g in groups}


def plain_w2(sa, sb, spb, names):
    """Each unit the vector of every parameter writing it (names: the group's axis-0 tensors)."""
    def points(s):
        return np.hstack([s[t].reshape(s[t].shape[0], -1).numpy() for t in names])

    a, b, pb = points(sa), points(sb), points(spb)
    cost = ((a[:, None, :] - pb[None, :, :]) ** 2).sum(2)
    r, c = linear_sum_assignment(cost)
    return {
        "identity": float(np.sqrt(np.mean(((a - b) ** 2).sum(1)))),
        "aligned": float(np.sqrt(np.mean(((a - pb) ** 2).sum(1)))),
        "optimal": float(np.sqrt(cost[r, c].sum() / len(a))),
    }


def conv_conditions():
    expected = json.loads((CONV / "expected.json").read_text())
    data = np.load(COMPARE / "eval.npz")["x"]
    x = torch.from_numpy(data[:CONV_SAMPLES].astype(np.float64)).reshape(-1, 1, 28, 28)
    fit = torch.from_numpy(data[:CONV_FIT_SAMPLES].astype(np.float64)).reshape(-1, 1, 28, 28)
    out = {}
    for net in ("vgg", "resnet"):
        ref = expected["networks"][net]
        raw_a = torch.load(CONV / ref["checkpoints"]["a"])
        raw_b = torch.load(CONV / ref["checkpoints"]["b"])
        spec, views = SPECS[net]()
        sa, sb = double_state(raw_a), double_state(raw_b)
        with torch.no_grad():
            _, fit_inputs = RECORD[net](sa, fit)
            sigmas = {layer: input_moment(net, layer, fit_inputs[layer], sa[f"{layer}.weight"].shape[-1]) for layer, v in LAYERS[net].items() if v[4] is not None}
            perms = {m: {g: np.asarray(p) for g, p in ref["permutations"][m].items()} for m in ("naive", "weight", "activation")}
            perms["covariance"] = covariance_matching(net, sa, sb, sigmas, ref["groups"])
            record_a = RECORD[net](sa, x)
            methods = {}
            for method, perm in perms.items():
                spb = double_state(permute_state(raw_b, spec, views, {g: torch.as_tensor(p) for g, p in perm.items()}))
                result = conditions(
                    record_a, RECORD[net](spb, x), RECORD[net](spb, shifted(x)),
                    F.relu, lambda layer, h, w: apply(layer, LAYERS[net], h, w),
                    {k: sa[f"{k}.weight"] for k in LAYERS[net]}, {k: spb[f"{k}.weight"] for k in LAYERS[net]},
                )
                wasserstein = []
                for g in ref["groups"]:
                    writers = []
                    for layer, v in LAYERS[net].items():
                        if v[4] != g:
                            continue
                        src = v[5]
                        writers.append((unit_rows(net, sa, layer), unit_rows(net, sb, layer),
                                        unit_rows(net, sb, layer, None if src is None else perm[src]), sigmas[layer]))
                    names = [t for t, axis, stat in spec[g] if axis == 0 and not stat]
                    entry = {"layer": g, **plain_w2(sa, sb, spb, names), "covariance": covariance_w2(writers, perm[g])}
                    wasserstein.append(entry)
                result["wasserstein"] = wasserstein
                methods[method] = result
        out[net] = {
            "checkpoints": ref["checkpoints"],
            "permutations": {"covariance": {g: [int(i) for i in p] for g, p in perms["covariance"].items()}},
            "methods": methods,
        }
    return out


def main():
    torch.set_num_threads(2)
    mlp = mlp_conditions()
    conv = conv_conditions()
    conventions = {
        "generator": "test/reference/make_llfc_conditions.py (PyTorch/NumPy/SciPy, float64, independent of the TypeScript engine); "
                     "its docstring states every definition and where each method's permutations come from",
        "shuffled": "pi(B)'s sample i is sample (i + 1) mod samples",
        "leftOut": "samples with u or v all zero, left out of the dissimilarity mean (and, v zero, of the coefficient mean)",
    }
    (COMPARE / "conditions.json").write_text(json.dumps({"conventions": conventions, "samples": MLP_SAMPLES, "networks": mlp}, indent=1) + "\n")
    conventions["covariance"] = ("covariance matching computed here; naive, weight and activation permutations from expected.json; "
                                 f"the moments on the first {CONV_FIT_SAMPLES} samples of eval.npz")
    (CONV / "conditions.json").write_text(json.dumps({"conventions": conventions, "samples": CONV_SAMPLES, "fitSamples": CONV_FIT_SAMPLES, "networks": conv}, indent=1) + "\n")
    for label, nets in (("mlp", mlp), ("conv", conv)):
        for net, r in nets.items():
            for method, m in r["methods"].items():
                com = " ".join(f"{c['layer']}:{c['aligned']['distance']:.3f}/{c['shuffled']['distance']:.3f}" for c in m["commutativity"])
                add = " ".join(f"{a['layer']}:{a['aligned']['dissimilarity']['flat']:.4f}" for a in m["additivity"])
                print(f"{label} {net:7s} {method:10s} commutativity {com} | additivity {add}")


if __name__ == "__main__":
    main()
