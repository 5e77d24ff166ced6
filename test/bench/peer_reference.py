"""A whole `merge-lens compare`, written the straightforward way a researcher would in PyTorch + SciPy:
the peer that peer.bench.ts times the CLI against, on the very same files.

    /usr/bin/python3 test/bench/peer_reference.py run --case mlp|resnet|vgg --a A --b B --data DATA \
        --methods naive,weight,activation,activation+repair --alphas 11 --fit-samples 2000 --llfc-samples 2000 \
        [--seed 0] [--restarts 1] [--json REPORT]
    /usr/bin/python3 test/bench/peer_reference.py peak

A and B are safetensors state_dicts of the bench's networks (benchCases.ts): an MLP fc1, fc2, …; a
CIFAR ResNet in the kuangliu naming; a VGG in torchvision's make_layers numbering (VGG_CONFIG).
DATA holds x F32 [n, …] and y I64 [n]; it is the evaluation data, and its first --fit-samples
samples are the fit data, as the CLI does with --data alone.

It computes what the CLI's report holds, by the engine's documented conventions (README, and
test/reference/make_conv_reference.py, whose conventions these are): unit correlations on the fit
data, each alignment (weight matching: coordinate descent in a seeded random group order, each
group an exact assignment, until a sweep improves nothing, from --restarts orders, the highest
objective kept; activation matching on Pearson
correlations, every sample and position an observation, a residual stream's activations averaged;
covariance matching for MLPs), the equivalence check, and per method the path at every α with
BatchNorm reset (train mode, momentum None, the fit data in batches of 256), LLFC at every
activation, per-layer barriers (one layer and its BatchNorm interpolated, the rest A's, the
BatchNorms it feeds reset), REPAIR with its variance collapse, matching costs and Dim(S).

Nothing is clever on purpose: every network on the path is a fresh module run whole; the only
economy is the one anybody would make, running each evaluation batch through every α in turn so
that LLFC can mix the endpoints' features of that batch. The last line printed is JSON: CPU
seconds and peak RSS of this process, the sample-forward passes it ran and the multiply-adds of
one, and each method's barriers and loss along the path. `peak` prints the GFLOP/s of a
2000×784 × 784×512 float32 product on the same 2 threads.
"""
import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_reference import read_safetensors  # noqa: E402  the one safetensors reader of the benches

THREADS = 2
torch.set_num_threads(THREADS)

RESET_BATCH = 256
# Evaluation batches: the engine's for a CIFAR-sized network (4M values per node); an MLP takes the data whole.
CONV_EVAL_BATCH = 256
EQUIVALENCE_SAMPLES = 256
REPAIR_EPS = 1e-5
STD_FLOOR = 1e-12
MAX_SWEEPS = 100
# The bench's VGG: VGG-11's layout at a quarter of its width, 3×32×32 in, 128×1×1 out of the features.
VGG_CONFIG = [16, "M", 32, "M", 64, 64, "M", 128, 128, "M", 128, 128, "M"]
VGG_HIDDEN = 128
RESNET_BLOCKS = 3

FORWARDS = 0  # samples run through a whole network, the numerator of the bench's GFLOP/s

# ---------------------------------------------------------------- models


class Mlp(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.depth = len(sizes) - 1
        for l in range(self.depth):
            setattr(self, f"fc{l + 1}", nn.Linear(sizes[l], sizes[l + 1]))
            if l < self.depth - 1:
                setattr(self, f"relu{l + 1}", nn.ReLU())

    def forward(self, x):
        x = x.flatten(1)
        for l in range(self.depth):
            x = getattr(self, f"fc{l + 1}")(x)
            if l < self.depth - 1:
                x = getattr(self, f"relu{l + 1}")(x)
        return x


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU()

    def forward(self, x):
        h = self.relu1(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, widths, blocks):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        cin = widths[0]
        for s, w in enumerate(widths):
            setattr(self, f"layer{s + 1}", nn.Sequential(*[BasicBlock(cin if j == 0 else w, w, 2 if s > 0 and j == 0 else 1) for j in range(blocks)]))
            cin = w
        self.stages = len(widths)
        self.linear = nn.Linear(cin, 10)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for s in range(self.stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Vgg(nn.Module):
    def __init__(self, config, hidden):
        super().__init__()
        layers, cin = [], 3
        for v in config:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]
                cin = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(cin, hidden), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# ---------------------------------------------------------------- permutation specs, by hand
# Group name → [(tensor, axis, is_statistic)], as make_conv_reference.py writes them.


def bn_axes(prefix):
    return [(f"{prefix}.weight", 0, False), (f"{prefix}.bias", 0, False), (f"{prefix}.running_mean", 0, True), (f"{prefix}.running_var", 0, True)]


def mlp_spec(depth):
    spec = {f"fc{l}": [(f"fc{l}.weight", 0, False), (f"fc{l}.bias", 0, False), (f"fc{l + 1}.weight", 1, False)] for l in range(1, depth)}
    points = {f"fc{l}": [f"relu{l}"] for l in range(1, depth)}
    return spec, points


def vgg_spec():
    convs = []
    index = 0
    for v in VGG_CONFIG:
        if v == "M":
            index += 1
        else:
            convs.append(index)
            index += 3
    spec, points = {}, {}
    for k, i in enumerate(convs):
        reader = f"features.{convs[k + 1]}.weight" if k + 1 < len(convs) else "classifier.0.weight"
        spec[f"features.{i}"] = [(f"features.{i}.weight", 0, False), (f"features.{i}.bias", 0, False), *bn_axes(f"features.{i + 1}"), (reader, 1, False)]
        points[f"features.{i}"] = [f"features.{i + 2}"]
    spec["classifier.0"] = [("classifier.0.weight", 0, False), ("classifier.0.bias", 0, False), ("classifier.3.weight", 1, False)]
    points["classifier.0"] = ["classifier.1"]
    return spec, points


def resnet_spec(stages, blocks):
    """A stage's residual stream is one group (the stem, or the first block's conv2 and shortcut, and every block's conv2); each block's inner channels another."""
    spec, points = {}, {}
    for s in range(1, stages + 1):
        first = 0 if s == 1 else 1  # the blocks whose conv1 reads this stage's stream
        writers = [("conv1.weight", 0, False), *bn_axes("bn1")] if s == 1 else [(f"layer{s}.0.shortcut.0.weight", 0, False), *bn_axes(f"layer{s}.0.shortcut.1")]
        for j in range(blocks):
            writers += [(f"layer{s}.{j}.conv2.weight", 0, False), *bn_axes(f"layer{s}.{j}.bn2")]
        readers = [(f"layer{s}.{j}.conv1.weight", 1, False) for j in range(first, blocks)]
        readers += [(f"layer{s + 1}.0.conv1.weight", 1, False), (f"layer{s + 1}.0.shortcut.0.weight", 1, False)] if s < stages else [("linear.weight", 1, False)]
        name = "conv1" if s == 1 else f"layer{s}.0.conv2"
        spec[name] = writers + readers
        points[name] = (["relu"] if s == 1 else []) + [f"layer{s}.{j}.relu" for j in range(blocks)]
        for j in range(blocks):
            b = f"layer{s}.{j}"
            spec[f"{b}.conv1"] = [(f"{b}.conv1.weight", 0, False), *bn_axes(f"{b}.bn1"), (f"{b}.conv2.weight", 1, False)]
            points[f"{b}.conv1"] = [f"{b}.relu1"]
    return spec, points


class Case:
    """The network, its permutation groups, where activation matching looks at each group, and the evaluation batch."""

    def __init__(self, name, state):
        self.name = name
        if name == "mlp":
            depth = len([k for k in state if k.endswith(".weight")])
            sizes = [state["fc1.weight"].shape[1]] + [state[f"fc{l}.weight"].shape[0] for l in range(1, depth + 1)]
            self.make = lambda: Mlp(sizes)
            self.spec, self.points = mlp_spec(depth)
            self.eval_batch = None
        elif name == "resnet":
            widths = [state[f"layer{s}.0.conv1.weight"].shape[0] for s in range(1, 4)]
            self.make = lambda: ResNet(widths, RESNET_BLOCKS)
            self.spec, self.points = resnet_spec(len(widths), RESNET_BLOCKS)
            self.eval_batch = CONV_EVAL_BATCH
        elif name == "vgg":
            self.make = lambda: Vgg(VGG_CONFIG, VGG_HIDDEN)
            self.spec, self.points = vgg_spec()
            self.eval_batch = CONV_EVAL_BATCH
        else:
            raise SystemExit(f"unknown case {name}")
        probe = self.make()
        names = [n for n, _ in probe.named_modules()]
        modules = dict(probe.named_modules())
        # Per layer with weights, the BatchNorm registered right after it: the one normalising its output.
        self.units = []
        for i, n in enumerate(names):
            if isinstance(modules[n], (nn.Conv2d, nn.Linear)):
                following = names[i + 1] if i + 1 < len(names) else None
                self.units.append((n, following if following and isinstance(modules[following], nn.BatchNorm2d) else None))
        self.batchnorms = [n for n in names if isinstance(modules[n], nn.BatchNorm2d)]
        self.relus = [n for n in names if isinstance(modules[n], nn.ReLU)]
        self.order = names
        permuted = {t for axes in self.spec.values() for t, axis, _ in axes if axis == 0}
        # REPAIR corrects every layer whose outputs are permuted, after its BatchNorm where it has one.
        self.repair_points = [bn or layer for layer, bn in self.units if f"{layer}.weight" in permuted]

    def fed_batchnorms(self, layer):
        """The BatchNorms whose input depends on `layer`: those after it, less a block's shortcut BatchNorm beside its main branch."""
        after = self.order.index(layer)
        block = layer.rsplit(".", 1)[0]
        beside = f"{block}.shortcut.1" if self.name == "resnet" and layer.split(".")[-1] in ("conv1", "conv2") and block.startswith("layer") else None
        return [b for b in self.batchnorms if self.order.index(b) > after and b != beside]

    def model(self, state):
        m = self.make()
        # The files hold no BatchNorm step counters, which eval and momentum-None resets never read.
        missing, unexpected = m.load_state_dict(state, strict=False)
        if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
            raise SystemExit(f"{self.name}: the checkpoint does not fit: missing {missing}, unexpected {unexpected}")
        return m.eval()


def module_at(model, path):
    m = model
    for p in path.split("."):
        m = m[int(p)] if p.isdigit() else getattr(m, p)
    return m


# ---------------------------------------------------------------- running networks


def run(model, x, capture=None):
    """Logits, and when asked the outputs of the named modules; every call counts as len(x) forward passes."""
    global FORWARDS
    FORWARDS += len(x)
    seen = {}
    hooks = [module_at(model, p).register_forward_hook(lambda _m, _i, out, p=p: seen.__setitem__(p, out)) for p in capture or []]
    try:
        logits = model(x)
    finally:
        for h in hooks:
            h.remove()
    return logits, seen


def batches(n, size):
    size = size or n
    return [(s, min(n, s + size)) for s in range(0, n, size)]


def stats_pass(model, x, modules):
    """BatchNorm reset for `modules` (train mode, statistics reset, momentum None), the rest in eval mode, over x in batches of 256."""
    model.eval()
    for m in modules:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    for s, e in batches(len(x), RESET_BATCH):
        run(model, x[s:e])
    model.eval()


def lerp_state(sa, sb, alpha, names=None):
    """(1−α)·A + α·B for the tensors in `names` (all when None), A's elsewhere."""
    return {k: (1 - alpha) * v + alpha * sb[k] if v.is_floating_point() and (names is None or k in names) else v for k, v in sa.items()}


def channel_rows(t):
    """[N, C, H, W] or [N, C] → one row per sample and position, one column per channel."""
    return t.permute(0, 2, 3, 1).reshape(-1, t.shape[1]) if t.dim() == 4 else t


class Moments:
    """Streamed first and second moments of channel rows, in double precision."""

    def __init__(self):
        self.n, self.s, self.ss = 0, 0.0, 0.0

    def add(self, rows):
        r = rows.double()
        self.n += len(r)
        self.s = self.s + r.sum(0)
        self.ss = self.ss + (r * r).sum(0)

    def std(self):
        mean = self.s / self.n
        return (self.ss / self.n - mean * mean).clamp_min(0).sqrt()


# ---------------------------------------------------------------- alignment


def unit_correlations(case, ma, mb, fit):
    """Per group, the Pearson correlation of A's and B's channels at its activations (averaged over them), every sample and position one observation."""
    wanted = sorted({p for pts in case.points.values() for p in pts})
    acc = {p: {"n": 0, "a": 0.0, "b": 0.0, "aa": 0.0, "bb": 0.0, "ab": 0.0} for p in wanted}
    for s, e in batches(len(fit), case.eval_batch):
        _, fa = run(ma, fit[s:e], wanted)
        _, fb = run(mb, fit[s:e], wanted)
        for p in wanted:
            ra, rb = channel_rows(fa[p]).double(), channel_rows(fb[p]).double()
            c = acc[p]
            c["n"] += len(ra)
            c["a"] = c["a"] + ra.sum(0)
            c["b"] = c["b"] + rb.sum(0)
            c["aa"] = c["aa"] + (ra * ra).sum(0)
            c["bb"] = c["bb"] + (rb * rb).sum(0)
            c["ab"] = c["ab"] + ra.T @ rb
    corr = {}
    for p, c in acc.items():
        ma_, mb_ = c["a"] / c["n"], c["b"] / c["n"]
        sa = (c["aa"] / c["n"] - ma_ * ma_).clamp_min(0).sqrt()
        sb = (c["bb"] / c["n"] - mb_ * mb_).clamp_min(0).sqrt()
        cov = c["ab"] / c["n"] - torch.outer(ma_, mb_)
        denom = torch.outer(sa, sb)
        ok = denom > STD_FLOOR ** 2
        corr[p] = torch.where(ok, cov / torch.where(ok, denom, torch.ones_like(denom)), torch.zeros_like(denom)).numpy()
    return {g: np.mean([corr[p] for p in pts], axis=0) for g, pts in case.points.items()}


def permute_state(state, spec, perms):
    out = dict(state)
    for g, axes in spec.items():
        p = torch.as_tensor(perms[g])
        for tensor, axis, _ in axes:
            out[tensor] = out[tensor].index_select(axis, p)
    return out


def matricised(t, axis):
    return t.movedim(axis, 0).reshape(t.shape[axis], -1)


def weight_objective(sa, sb, spec, perms):
    """Σ⟨θA, π(θB)⟩ over every tensor the groups touch but running statistics."""
    pb = permute_state(sb, spec, perms)
    names = {t for axes in spec.values() for t, _, stat in axes if not stat}
    return float(sum((sa[t].double() * pb[t].double()).sum() for t in names))


def best_weight_matching(sa, sb, spec, seed, restarts):
    """Weight matching from `restarts` seeded group orders (seed, seed + 1, …), the highest objective kept, as the CLI's --restarts."""
    starts = [weight_matching(sa, sb, spec, seed + r) for r in range(restarts)]
    return max(starts, key=lambda perms: weight_objective(sa, sb, spec, perms))


def weight_matching(sa, sb, spec, seed):
    rng = np.random.RandomState(seed)
    names = list(spec)
    perms = {g: np.arange(sa[spec[g][0][0]].shape[spec[g][0][1]]) for g in names}
    for _ in range(MAX_SWEEPS):
        improved = False
        for g in rng.permutation(len(names)):
            g = names[g]
            n = len(perms[g])
            pb = permute_state(sb, spec, {h: (perms[h] if h != g else np.arange(n)) for h in names})
            gain = sum(matricised(sa[t], axis) @ matricised(pb[t], axis).T for t, axis, stat in spec[g] if not stat).double().numpy()
            old = gain[np.arange(n), perms[g]].sum()
            _, cols = linear_sum_assignment(gain, maximize=True)
            if gain[np.arange(n), cols].sum() > old + 1e-12 * abs(old):
                perms[g] = cols
                improved = True
        if not improved:
            break
    return perms


def activation_matching(correlations):
    return {g: linear_sum_assignment(c, maximize=True)[1] for g, c in correlations.items()}


def covariance_matching(case, sa, sb, ma, fit):
    """MLPs: layer by layer, min Σ (wA_i − wB_j)ᵀ Σ (wA_i − wB_j) over the rows of [W | b], Σ the second moment of A's inputs to the layer (with a 1)."""
    depth = len(case.units)
    _, feats = run(ma, fit, [f"relu{l}" for l in range(1, depth)])
    perms = {}
    for l in range(1, depth):
        inputs = fit.flatten(1) if l == 1 else feats[f"relu{l - 1}"]
        ext = torch.cat([inputs, torch.ones(len(inputs), 1)], 1)
        sigma = ext.T @ ext / len(ext)
        wb = sb[f"fc{l}.weight"] if l == 1 else sb[f"fc{l}.weight"][:, perms[f"fc{l - 1}"]]
        ra = torch.cat([sa[f"fc{l}.weight"], sa[f"fc{l}.bias"][:, None]], 1)
        rb = torch.cat([wb, sb[f"fc{l}.bias"][:, None]], 1)
        a_sigma, b_sigma = ra @ sigma, rb @ sigma
        cost = (a_sigma * ra).sum(1)[:, None] + (b_sigma * rb).sum(1)[None, :] - 2 * a_sigma @ rb.T
        perms[f"fc{l}"] = linear_sum_assignment(cost.double().numpy())[1]
    return perms


def equivalence(case, sb, spb, x):
    probe = x[:EQUIVALENCE_SAMPLES]
    ref, _ = run(case.model(sb), probe)
    out, _ = run(case.model(spb), probe)
    return float(((out - ref).flatten(1).norm(dim=1) / ref.flatten(1).norm(dim=1).clamp_min(1e-12)).max())


# ---------------------------------------------------------------- the path


class CosineMean:
    """Means over samples of cos(f, g) and ⟨f, g⟩/‖g‖², leaving out samples where a vector is all zero."""

    def __init__(self):
        self.cos, self.cos_n, self.scale, self.scale_n = 0.0, 0, 0.0, 0

    def add(self, f, g):
        dot, ff, gg = (f * g).sum(1).double(), (f * f).sum(1).double(), (g * g).sum(1).double()
        keep = gg > 0
        self.scale += float((dot[keep] / gg[keep]).sum())
        self.scale_n += int(keep.sum())
        keep = keep & (ff > 0)
        self.cos += float((dot[keep] / (ff[keep] * gg[keep]).sqrt()).sum())
        self.cos_n += int(keep.sum())


def evaluate(case, models, alphas, x, y, llfc_samples):
    """Loss and accuracy of every model (one per α) on x, and LLFC at every ReLU on the first llfc_samples."""
    n = len(alphas)
    order = [0, n - 1, *range(1, n - 1)]
    loss, correct = np.zeros(n), np.zeros(n)
    cos = [[CosineMean() for _ in case.relus] for _ in alphas]
    baseline = [CosineMean() for _ in case.relus]
    for s, e in batches(len(x), case.eval_batch):
        rows = min(e, llfc_samples) - s
        ends = {}
        for k in order:
            logits, feats = run(models[k], x[s:e], case.relus if rows > 0 else None)
            loss[k] += float(F.cross_entropy(logits, y[s:e], reduction="sum"))
            correct[k] += float((logits.argmax(1) == y[s:e]).sum())
            if rows <= 0:
                continue
            f = [feats[p][:rows].flatten(1) for p in case.relus]
            if k in (0, n - 1):
                ends[k] = f
                g = f
            else:
                g = [(1 - alphas[k]) * a + alphas[k] * b for a, b in zip(ends[0], ends[n - 1])]
            for q, (fq, gq) in enumerate(zip(f, g)):
                cos[k][q].add(fq, gq)
            if k == n - 1:
                for q, (a, b) in enumerate(zip(ends[0], ends[n - 1])):
                    baseline[q].add(a, b)
    llfc = [{"cosine": [c[q].cos / max(1, c[q].cos_n) for c in cos], "scale": [c[q].scale / max(1, c[q].scale_n) for c in cos],
             "baseline": baseline[q].cos / max(1, baseline[q].cos_n)} for q in range(len(case.relus))] if llfc_samples > 0 else []
    return {"loss": (loss / len(x)).tolist(), "accuracy": (correct / len(x)).tolist()}, llfc


def barriers(alphas, curve):
    a = np.asarray(alphas)
    loss, acc = np.asarray(curve["loss"]), np.asarray(curve["accuracy"])
    return {"loss": float(np.max(loss - ((1 - a) * loss[0] + a * loss[-1]))), "accuracy": float(np.max((1 - a) * acc[0] + a * acc[-1] - acc))}


def path_models(case, sa, spb, alphas, fit, reset, names=None, fed=None):
    """θ(α) for every α (only `names` interpolated when given), its BatchNorms (`fed` when given) reset on the fit data."""
    models = []
    for alpha in alphas:
        m = case.model(lerp_state(sa, spb, alpha, names))
        resets = [module_at(m, b) for b in (case.batchnorms if fed is None else fed)] if reset else []
        if resets:
            stats_pass(m, fit, resets)
        models.append(m)
    return models


def layer_barriers(case, sa, spb, alphas, x, y, fit, reset):
    out = []
    for layer, bn in case.units:
        names = {f"{p}.{t}" for p in (layer, bn) if p for t in ("weight", "bias", "running_mean", "running_var")}
        models = path_models(case, sa, spb, alphas, fit, reset, names, case.fed_batchnorms(layer))
        curve, _ = evaluate(case, models, alphas, x, y, 0)
        out.append({"layer": layer, **barriers(alphas, curve), "path": curve})
    return out


# ---------------------------------------------------------------- REPAIR


class Tracker(nn.Module):
    """Passes its input through; its BatchNorm records the statistics there (REPAIR's TrackLayer)."""

    def __init__(self, layer, channels):
        super().__init__()
        self.layer = layer
        self.bn = nn.BatchNorm2d(channels, eps=REPAIR_EPS) if isinstance(layer, nn.BatchNorm2d) else nn.BatchNorm1d(channels, eps=REPAIR_EPS)

    def forward(self, x):
        y = self.layer(x)
        self.bn(y)
        return y


class Repair(nn.Module):
    """The layer, then a BatchNorm that normalises each channel and rescales it to the target mean and std (REPAIR's ResetLayer)."""

    def __init__(self, layer, mean, std):
        super().__init__()
        self.layer = layer
        self.bn = nn.BatchNorm2d(len(mean), eps=REPAIR_EPS) if isinstance(layer, nn.BatchNorm2d) else nn.BatchNorm1d(len(mean), eps=REPAIR_EPS)
        with torch.no_grad():
            self.bn.weight.copy_(std)
            self.bn.bias.copy_(mean)

    def forward(self, x):
        return self.bn(self.layer(x))


def channels_of(m):
    return m.num_features if isinstance(m, nn.BatchNorm2d) else m.out_features


def wrap(model, path, make):
    parent_path, _, last = path.rpartition(".")
    parent = module_at(model, parent_path) if parent_path else model
    new = make(module_at(model, path))
    if last.isdigit():
        parent[int(last)] = new
    else:
        setattr(parent, last, new)
    return new


def repair_targets(case, state, fit, reset):
    m = case.model(state)
    # Found before wrapping, which moves a BatchNorm inside its tracker.
    own = [module_at(m, b) for b in case.batchnorms] if reset else []
    trackers = [wrap(m, p, lambda old: Tracker(old, channels_of(old))) for p in case.repair_points]
    stats_pass(m, fit, [t.bn for t in trackers] + own)
    return [(t.bn.running_mean.clone(), t.bn.running_var.sqrt().clone()) for t in trackers]


def repaired_model(case, sa, spb, alpha, targets, fit, reset):
    m = case.model(lerp_state(sa, spb, alpha))
    own = [module_at(m, b) for b in case.batchnorms] if reset else []
    (ta, tb) = targets
    repairs = [wrap(m, p, lambda old, k=k: Repair(old, (1 - alpha) * ta[k][0] + alpha * tb[k][0], (1 - alpha) * ta[k][1] + alpha * tb[k][1]))
               for k, p in enumerate(case.repair_points)]
    stats_pass(m, fit, [r.bn for r in repairs] + own)
    return m, repairs


def deviations(model, modules, fit, batch):
    """Per module, the population standard deviation of each output channel over the fit data, eval mode."""
    moments = [Moments() for _ in modules]
    for s, e in batches(len(fit), batch):
        seen = []
        hooks = [m.register_forward_hook(lambda _m, _i, out, q=q: seen.append((q, out))) for q, m in enumerate(modules)]
        try:
            run(model, fit[s:e])
        finally:
            for h in hooks:
                h.remove()
        for q, out in seen:
            moments[q].add(channel_rows(out))
    return [m.std() for m in moments]


def repair_path(case, sa, spb, alphas, x, y, fit, reset, llfc_samples):
    targets = (repair_targets(case, sa, fit, reset), repair_targets(case, spb, fit, reset))
    grid = list(alphas) if 0.5 in alphas else [*alphas, 0.5]
    repaired = [repaired_model(case, sa, spb, alpha, targets, fit, reset) for alpha in grid]
    curve, llfc = evaluate(case, [m for m, _ in repaired[:len(alphas)]], alphas, x, y, llfc_samples)
    plain = path_models(case, sa, spb, [0.0, 0.5, 1.0], fit, reset)
    before = [deviations(m, [module_at(m, p) for p in case.repair_points], fit, case.eval_batch) for m in plain]
    middle, repairs = repaired[grid.index(0.5)]
    after = deviations(middle, [r.bn for r in repairs], fit, case.eval_batch)

    def collapse(merged, a, b):
        ref = (a + b) / 2
        keep = ref > 0
        return float((merged[keep] / ref[keep]).mean())

    collapsed = [{"layer": p, "before": collapse(before[1][k], before[0][k], before[2][k]), "after": collapse(after[k], before[0][k], before[2][k])}
                 for k, p in enumerate(case.repair_points)]
    return curve, llfc, collapsed


# ---------------------------------------------------------------- report pieces


def matching_costs(case, sa, sb, perms, correlations):
    spb = permute_state(sb, case.spec, perms)
    out = []
    for g, axes in case.spec.items():
        # The distances are over the weight matrices the group writes; each unit's cost over every slice it touches.
        writing = [t for t, axis, _ in axes if axis == 0 and sa[t].dim() >= 2]

        def distance(other, writing=writing):
            return float(sum((sa[t] - other[t]).pow(2).sum() for t in writing).sqrt() / sum(sa[t].pow(2).sum() for t in writing).sqrt())

        ra = torch.cat([matricised(sa[t], axis) for t, axis, stat in axes if not stat], 1)
        rp = torch.cat([matricised(spb[t], axis) for t, axis, stat in axes if not stat], 1)
        corr = correlations[g]
        out.append({
            "group": g,
            "costBefore": distance(sb), "costAfter": distance(spb),
            "unitCosts": ((ra - rp).norm(dim=1) / ra.norm(dim=1).clamp_min(1e-12)).tolist(),
            "correlationBefore": float(np.mean(np.diag(corr))), "correlationAfter": float(np.mean(corr[np.arange(len(corr)), perms[g]])),
        })
    return out


def dim_s(case, state):
    out = []
    for layer, _ in case.units:
        w = state[f"{layer}.weight"]
        rows = w.reshape(w.shape[0], -1)
        if f"{layer}.bias" in state:
            rows = torch.cat([rows, state[f"{layer}.bias"][:, None]], 1)
        rows = (rows - rows.mean(0)).double()
        gram = rows @ rows.T if rows.shape[0] <= rows.shape[1] else rows.T @ rows
        out.append(float(torch.trace(gram) ** 2 / (gram * gram).sum()))
    return out


def macs_per_sample(case, x):
    """Multiply-adds of one sample through every convolution and linear layer."""
    m = case.make().eval()
    total = [0]

    def count(mod, _inputs, out):
        if isinstance(mod, nn.Conv2d):
            total[0] += out[0].numel() * mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1] // mod.groups
        else:
            total[0] += mod.in_features * mod.out_features

    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            mod.register_forward_hook(count)
    m(x[:1])
    return total[0]


# ---------------------------------------------------------------- main


def load(path):
    return {k: torch.from_numpy(v.copy()) for k, v in read_safetensors(path).items()}


def compare(args):
    methods = args.methods.split(",")
    n = args.alphas
    alphas = [i / (n - 1) for i in range(n)]
    sa, sb, data = load(args.a), load(args.b), read_safetensors(args.data)
    case = Case(args.case, sa)
    x = torch.from_numpy(data["x"].copy())
    y = torch.from_numpy(data["y"].copy())
    fit = x[:args.fit_samples]
    llfc_samples = min(len(x), args.llfc_samples)
    reset = bool(case.batchnorms)
    ma, mb = case.model(sa), case.model(sb)
    report = {"methods": {}}
    correlations = unit_correlations(case, ma, mb, fit)
    alignments = {}
    for method in methods:
        base = method.removesuffix("+repair")
        if base not in alignments:
            if base == "naive":
                perms = {g: np.arange(len(c)) for g, c in correlations.items()}
            elif base == "weight":
                perms = best_weight_matching(sa, sb, case.spec, args.seed, args.restarts)
            elif base == "activation":
                perms = activation_matching(correlations)
            elif base == "covariance":
                perms = covariance_matching(case, sa, sb, ma, fit)
            else:
                raise SystemExit(f"unknown method {method}")
            spb = permute_state(sb, case.spec, perms)
            alignments[base] = (perms, spb, equivalence(case, sb, spb, x))
        perms, spb, error = alignments[base]
        result = {"equivalenceError": error, "matching": matching_costs(case, sa, sb, perms, correlations)}
        if method.endswith("+repair"):
            curve, llfc, collapsed = repair_path(case, sa, spb, alphas, x, y, fit, reset, llfc_samples)
            result.update(varianceCollapse=collapsed, layerBarriers=[])
        else:
            curve, llfc = evaluate(case, path_models(case, sa, spb, alphas, fit, reset), alphas, x, y, llfc_samples)
            result["layerBarriers"] = layer_barriers(case, sa, spb, alphas, x, y, fit, reset)
        result.update(path=curve, barrier=barriers(alphas, curve), llfc=llfc)
        report["methods"][method] = result
        print(f"{method}: loss barrier {result['barrier']['loss']:.4f}", file=sys.stderr, flush=True)
    report["dimS"] = {"a": dim_s(case, sa), "b": dim_s(case, sb)}
    if args.json:
        Path(args.json).write_text(json.dumps(report))
    return {"forwards": FORWARDS, "macsPerSample": macs_per_sample(case, x),
            "methods": {m: {"barrier": r["barrier"], "loss": r["path"]["loss"]} for m, r in report["methods"].items()}}


def peak():
    a, b = torch.rand(2000, 784), torch.rand(784, 512)
    best = float("inf")
    for _ in range(20):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return {"gflops": 2 * 2000 * 784 * 512 / best / 1e9, "threads": THREADS}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--case", required=True, choices=["mlp", "resnet", "vgg"])
    r.add_argument("--a", required=True)
    r.add_argument("--b", required=True)
    r.add_argument("--data", required=True)
    r.add_argument("--methods", required=True)
    r.add_argument("--alphas", type=int, default=25)
    r.add_argument("--fit-samples", type=int, default=2000)
    r.add_argument("--llfc-samples", type=int, default=2000)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--restarts", type=int, default=1)
    r.add_argument("--json", help="write the report here")
    sub.add_parser("peak")
    args = parser.parse_args()
    with torch.no_grad():
        out = compare(args) if args.command == "run" else peak()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # ru_maxrss is in KiB on Linux.
    print(json.dumps({**out, "cpuSeconds": usage.ru_utime + usage.ru_stime, "maxRssBytes": usage.ru_maxrss * 1024}))


if __name__ == "__main__":
    main()
