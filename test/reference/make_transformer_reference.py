"""Independent reference for transformer alignment (issue 15), written from the issue's definitions,
without the TypeScript implementation: naive, weight and activation matching of the GPT-2 fixture
pair and the ViT fixture pair, their interpolation paths and barriers, and the equivalence check.

The fixtures: test/fixtures/transformers/gpt2/gpt2_{a,b}.pt (GPT2LMHeadModel names, Conv1D [in, out],
packed c_attn, tied lm_head) on modadd_eval.npz (HF labels: the logits at t scored against labels[t+1],
−100 ignored), and test/fixtures/transformers/vit/vit_{a,b}.pt (timm names, packed qkv) on
vit/digits_eval.npz. The model definitions are make_transformer_fixtures.py's and make_vit_fixtures.py's;
the forward passes here are written again so that they can record activations, and are checked
against those definitions' logits before anything else runs.

Conventions (the engine's contract):
  Permutation groups. A permutation of a group of n units is a list perm with B's unit perm[i] put at
    position i. residual (d units): one for the whole model: the embeddings' feature axis (GPT-2 wte
    and wpe columns; ViT patch_embed.proj's output channels and bias, cls_token, pos_embed's last
    axis), every norm's weight and bias, every block's input projections' input axis (q, k, v, MLP fc1)
    and output projections' output axis and bias (attention proj, MLP fc2), the final norm and the
    head's input axis (GPT-2's lm_head is wte itself). h.N.mlp: fc1's output units and bias, fc2's
    input axis. h.N.qk: the rows (output units) of q and k and their biases; h.N.vo: those of v and the
    attention output projection's input axis. qk and vo are head-structured: head a of A is matched
    to head σ(a) of B as a whole block, with its own within-head permutation, so unit a·hd + r takes
    B's unit σ(a)·hd + τ_a(r); qk and vo share σ and have separate τ.
  Objective: Σ over every parameter tensor of ⟨θA, π(θB)⟩ in float64. The tied GPT-2 head is one
    tensor, counted once ("objectiveTiedCountedTwice" gives the number with lm_head counted as a
    tensor of its own, for the same permutations).
  Weight matching: coordinate descent over [residual, h.0 attention (qk and vo jointly), h.0.mlp,
    h.1 attention, h.1.mlp, ...]. Each sweep visits them in randomOrder(count, random), random =
    seededRandom(seed), a port of src/engine/alignment/seededRandom.ts (Weyl sequence and the
    MurmurHash3 finaliser, 32-bit) whose stream continues across sweeps. A plain coordinate solves
    max Σ C[i, perm[i]] with C = Σ over its (tensor, axis) entries of A matricised on the axis times
    B (every other group applied) matricised, transposed. An attention coordinate builds C_qk and
    C_vo so, scores head pairs by S[a, b] = the best assignment value of C_qk's (a, b) block + that
    of C_vo's, assigns heads on S and composes each unit permutation from the head assignment and
    the chosen blocks' own assignments (the exact optimum over head-structured permutations). A step
    is kept only if the exact objective of the tensors the coordinate touches rises by more than
    1e-12·|objective|. A run stops after a sweep that keeps no step (at most 100 sweeps). Restarts:
    seeds 0..7, the highest final objective kept (the first on a tie).
  Activation matching: Pearson correlations (population moments; a unit with zero variance
    correlates 0) between A's and B's units with every position of every evaluation sequence (ViT:
    every token of every image) one observation, each group solved as a maximum assignment.
    residual: the mean of the correlation matrices at the embeddings' output (after the position
    embeddings; ViT: after the class token and positions) and at each block's output. h.N.mlp: the
    activation's output. h.N.qk: the mean of the q and k projections' output correlations; h.N.vo:
    the attention output before the output projection (heads concatenated). qk and vo are solved
    two-level on those matrices, as weight matching does.
  Naive: identity.
  Path: θ(α) = (1−α)·θA + α·π(θB) at α = 0, 0.1, ..., 1; loss = mean cross-entropy over the scored
    positions, accuracy = argmax hits over them. Barriers: loss max_α [L(α) − ((1−α)L(0) + αL(1))],
    accuracy max_α [((1−α)Acc(0) + αAcc(1)) − Acc(α)].
  Equivalence: per method, max |logits(π(B)) − logits(B)| over every eval position, float64
    ("equivalenceRandom": the same for three random permutations of every group, heads included).
  "objective": per method, the weight-matching objective at its permutations.

Checks itself (forwards against the fixtures' definitions, random permutations of every group leave
the logits unchanged, both methods recover a randomly permuted copy of A exactly, objectives never fall) and fails loudly if a check does not hold.

Measured (loss barrier / accuracy barrier, 11 α; weight matching's best of 8 starts):
             naive            weight           activation
    GPT-2    4.621 / 0.959    4.774 / 0.956    3.850 / 0.889   (A 98.8%, B 99.2%)
    ViT      2.762 / 0.858    2.450 / 0.684    1.319 / 0.358   (A 94.6%, B 95.8%; d 64, MLP 256)
On the ViT activation matching halves the naive loss barrier (−52%) and weight matching lowers it
by 11% (its 8 starts end at three optima, objectives 461.2–472.7, barriers 2.27–2.75; the best
objective is not the lowest barrier). Neither pair comes near linear mode connectivity. On GPT-2
activation matching lowers the barrier by 17% and weight matching raises it (its starts range over
4.59–5.72). The matched activation correlations are low (mean over units 0.13–0.32 in every group,
0.58 for GPT-2's first QK), so the seeds learnt different features, not permuted ones; modular
addition is known to be solved with seed-dependent Fourier frequencies.

reference.json, per pair (pairs.gpt2, pairs.vit): checkpoints, evaluation, groups (size, heads, and
the (tensor, axis, start) entries above), coordinates, endpoints (loss, accuracy), weight
(objectiveBefore, objective, seed and sweeps of the best start, objectiveBySweep, restarts[]: each
start's objective, history, barriers and permutations; GPT-2 also objectiveTiedCountedTwice),
activation.correlationTotal (the matched correlations' sum per group), permutations (naive, weight,
activation; keyed residual, h.N.qk, h.N.vo, h.N.mlp), heads (the head assignment per block), paths
(loss, accuracy, barrier per method), objective and equivalence per method, equivalenceRandom.

Re-run (about a minute on 2 cores; Debian's torch 1.13, numpy and scipy, not the pyenv python3):
    cd /work/main && /usr/bin/python3 test/reference/make_transformer_reference.py
Writes test/fixtures/transformers/reference.json.
"""
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "transformers"
sys.path.insert(0, str(FIXTURES))
import make_transformer_fixtures as gpt2_fixtures  # noqa: E402
import make_vit_fixtures as vit_fixtures  # noqa: E402

OUT = FIXTURES / "reference.json"
ALPHAS = [round(0.1 * i, 10) for i in range(11)]
IGNORE = -100
MAX_SWEEPS = 100
TOLERANCE = 1e-12
RESTARTS = 8
STD_FLOOR = 1e-12
EQUIVALENCE_LIMIT = 1e-9
TIED_HEAD = "lm_head.weight"


def first_existing(*candidates):
    for c in candidates:
        if c.exists():
            return c
    raise FileNotFoundError(f"none of {[str(c.relative_to(ROOT)) for c in candidates]} exists")


# ---------------------------------------------------------------- the engine's seeded random stream


def seeded_random(seed):
    """src/engine/alignment/seededRandom.ts: a Weyl sequence scrambled by MurmurHash3's finaliser."""
    mask = 0xFFFFFFFF
    state = seed & mask

    def next_value():
        nonlocal state
        state = (state + 0x9E3779B9) & mask
        z = state
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & mask
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & mask
        return (z ^ (z >> 16)) / 4294967296

    return next_value


def random_order(n, random):
    """randomOrder: Fisher–Yates from the top."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = math.floor(random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


# ---------------------------------------------------------------- models: specs and recording forwards
#
# A group is {"size", "heads" (None or the head count), "entries": [(tensor, axis, start)]}: the
# group's units lie along `axis` of `tensor` at start .. start + size (a packed qkv holds q, k and v
# one after another on one axis).


def gpt2_groups(cfg, params):
    d, n_layer = cfg["n_embd"], cfg["n_layer"]
    inner = params["transformer.h.0.mlp.c_fc.weight"].shape[1]
    residual = [("transformer.wte.weight", 1, 0), ("transformer.wpe.weight", 1, 0),
                ("transformer.ln_f.weight", 0, 0), ("transformer.ln_f.bias", 0, 0)]
    groups = {}
    for i in range(n_layer):
        p = f"transformer.h.{i}."
        residual += [(p + "ln_1.weight", 0, 0), (p + "ln_1.bias", 0, 0), (p + "attn.c_attn.weight", 0, 0),
                     (p + "attn.c_proj.weight", 1, 0), (p + "attn.c_proj.bias", 0, 0),
                     (p + "ln_2.weight", 0, 0), (p + "ln_2.bias", 0, 0), (p + "mlp.c_fc.weight", 0, 0),
                     (p + "mlp.c_proj.weight", 1, 0), (p + "mlp.c_proj.bias", 0, 0)]
        groups[f"h.{i}.qk"] = {"size": d, "heads": cfg["n_head"], "entries": [
            (p + "attn.c_attn.weight", 1, 0), (p + "attn.c_attn.bias", 0, 0),
            (p + "attn.c_attn.weight", 1, d), (p + "attn.c_attn.bias", 0, d)]}
        groups[f"h.{i}.vo"] = {"size": d, "heads": cfg["n_head"], "entries": [
            (p + "attn.c_attn.weight", 1, 2 * d), (p + "attn.c_attn.bias", 0, 2 * d), (p + "attn.c_proj.weight", 0, 0)]}
        groups[f"h.{i}.mlp"] = {"size": inner, "heads": None, "entries": [
            (p + "mlp.c_fc.weight", 1, 0), (p + "mlp.c_fc.bias", 0, 0), (p + "mlp.c_proj.weight", 0, 0)]}
    return {"residual": {"size": d, "heads": None, "entries": residual}, **groups}


def gpt2_record(params, cfg, ids):
    """GPT-2's logits [n, T, V] and the activations activation matching reads, each [n·T, units]."""
    d, heads, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    hd = d // heads
    n, t = ids.shape
    rec = {"residual": []}

    def ln(x, name):
        return F.layer_norm(x, (d,), params[name + ".weight"], params[name + ".bias"], eps)

    def rows(x):
        return x.reshape(n * t, -1)

    h = params["transformer.wte.weight"][ids] + params["transformer.wpe.weight"][torch.arange(t)]
    rec["residual"].append(rows(h))
    causal = torch.ones(t, t, dtype=torch.bool).triu(1)
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        qkv = ln(h, p + "ln_1") @ params[p + "attn.c_attn.weight"] + params[p + "attn.c_attn.bias"]
        q, k, v = qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:]
        rec[f"h.{i}.q"], rec[f"h.{i}.k"] = rows(q), rows(k)
        qh, kh, vh = (x.reshape(n, t, heads, hd).transpose(1, 2) for x in (q, k, v))
        scores = (qh @ kh.transpose(-1, -2) / math.sqrt(hd)).masked_fill(causal, float("-inf"))
        att = (scores.softmax(-1) @ vh).transpose(1, 2).reshape(n, t, d)
        rec[f"h.{i}.vo"] = rows(att)
        h = h + att @ params[p + "attn.c_proj.weight"] + params[p + "attn.c_proj.bias"]
        m = gpt2_fixtures.gelu_new(ln(h, p + "ln_2") @ params[p + "mlp.c_fc.weight"] + params[p + "mlp.c_fc.bias"])
        rec[f"h.{i}.mlp"] = rows(m)
        h = h + m @ params[p + "mlp.c_proj.weight"] + params[p + "mlp.c_proj.bias"]
        rec["residual"].append(rows(h))
    # The head is wte itself (tied).
    return ln(h, "transformer.ln_f") @ params["transformer.wte.weight"].T, rec


def vit_groups(cfg, params):
    d = cfg["hidden_size"]
    residual = [("patch_embed.proj.weight", 0, 0), ("patch_embed.proj.bias", 0, 0), ("cls_token", 2, 0),
                ("pos_embed", 2, 0), ("norm.weight", 0, 0), ("norm.bias", 0, 0), ("head.weight", 1, 0)]
    groups = {}
    for i in range(cfg["num_hidden_layers"]):
        p = f"blocks.{i}."
        residual += [(p + "norm1.weight", 0, 0), (p + "norm1.bias", 0, 0), (p + "attn.qkv.weight", 1, 0),
                     (p + "attn.proj.weight", 0, 0), (p + "attn.proj.bias", 0, 0),
                     (p + "norm2.weight", 0, 0), (p + "norm2.bias", 0, 0), (p + "mlp.fc1.weight", 1, 0),
                     (p + "mlp.fc2.weight", 0, 0), (p + "mlp.fc2.bias", 0, 0)]
        groups[f"h.{i}.qk"] = {"size": d, "heads": cfg["num_heads"], "entries": [
            (p + "attn.qkv.weight", 0, 0), (p + "attn.qkv.bias", 0, 0),
            (p + "attn.qkv.weight", 0, d), (p + "attn.qkv.bias", 0, d)]}
        groups[f"h.{i}.vo"] = {"size": d, "heads": cfg["num_heads"], "entries": [
            (p + "attn.qkv.weight", 0, 2 * d), (p + "attn.qkv.bias", 0, 2 * d), (p + "attn.proj.weight", 1, 0)]}
        groups[f"h.{i}.mlp"] = {"size": params[p + "mlp.fc1.weight"].shape[0], "heads": None, "entries": [
            (p + "mlp.fc1.weight", 0, 0), (p + "mlp.fc1.bias", 0, 0), (p + "mlp.fc2.weight", 1, 0)]}
    return {"residual": {"size": d, "heads": None, "entries": residual}, **groups}


def vit_record(params, cfg, x):
    """The ViT's logits [n, 10] and the activations activation matching reads, each [n·T, units]."""
    d, heads, eps = cfg["hidden_size"], cfg["num_heads"], cfg["layer_norm_eps"]
    hd = d // heads
    n = len(x)
    rec = {"residual": []}

    def ln(x_, name):
        return F.layer_norm(x_, (d,), params[name + ".weight"], params[name + ".bias"], eps)

    def linear(x_, name):
        return x_ @ params[name + ".weight"].T + params[name + ".bias"]

    patches = F.conv2d(x, params["patch_embed.proj.weight"], params["patch_embed.proj.bias"], stride=cfg["patch_size"])
    h = torch.cat([params["cls_token"].expand(n, 1, d), patches.flatten(2).transpose(1, 2)], dim=1) + params["pos_embed"]
    t = h.shape[1]

    def rows(v):
        return v.reshape(n * t, -1)

    rec["residual"].append(rows(h))
    for i in range(cfg["num_hidden_layers"]):
        p = f"blocks.{i}."
        qkv = linear(ln(h, p + "norm1"), p + "attn.qkv")
        q, k, v = qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:]
        rec[f"h.{i}.q"], rec[f"h.{i}.k"] = rows(q), rows(k)
        qh, kh, vh = (y.reshape(n, t, heads, hd).transpose(1, 2) for y in (q, k, v))
        att = ((qh @ kh.transpose(-1, -2) / math.sqrt(hd)).softmax(-1) @ vh).transpose(1, 2).reshape(n, t, d)
        rec[f"h.{i}.vo"] = rows(att)
        h = h + linear(att, p + "attn.proj")
        m = F.gelu(linear(ln(h, p + "norm2"), p + "mlp.fc1"))
        rec[f"h.{i}.mlp"] = rows(m)
        h = h + linear(m, p + "mlp.fc2")
        rec["residual"].append(rows(h))
    return linear(ln(h, "norm")[:, 0], "head"), rec


def lm_scores(logits, labels):
    """HF's causal-LM convention: logits at t against labels[t + 1], −100 ignored."""
    flat = logits[:, :-1].reshape(-1, logits.shape[-1])
    target = labels[:, 1:].reshape(-1)
    keep = target != IGNORE
    return flat[keep], target[keep]


def load_gpt2():
    folder = FIXTURES / "gpt2"
    files = [first_existing(folder / f"gpt2_{s}.pt", FIXTURES / f"gpt2_{s}.pt") for s in "ab"]
    cfg = json.loads(first_existing(folder / "config.json", FIXTURES / "gpt2_config.json").read_text())
    data_file = first_existing(FIXTURES / "modadd_eval.npz", folder / "modadd_eval.npz")
    data = np.load(data_file)
    ids, labels = torch.from_numpy(data["input_ids"]), torch.from_numpy(data["labels"])
    states, params = [], []
    for f in files:
        sd = torch.load(f)
        if TIED_HEAD in sd:
            assert torch.equal(sd[TIED_HEAD], sd["transformer.wte.weight"]), f"{f.name}: lm_head is not tied to wte"
        states.append(sd)
        params.append({k: v.double() for k, v in sd.items() if k != TIED_HEAD})

    def fixture_logits(p):
        return gpt2_fixtures.gpt2_forward({**p, TIED_HEAD: p["transformer.wte.weight"]}, cfg, ids)

    return {
        "name": "gpt2", "files": files, "data": data_file, "cfg": cfg, "params": params,
        "groups": gpt2_groups(cfg, params[0]), "layers": cfg["n_layer"],
        "record": lambda p: gpt2_record(p, cfg, ids),
        "scored": lambda logits: lm_scores(logits, labels),
        "fixture_logits": fixture_logits,
    }


def load_vit():
    folder = FIXTURES / "vit"
    files = [folder / f"vit_{s}.pt" for s in "ab"]
    cfg = {**vit_fixtures.CONFIG, **json.loads((folder / "config.json").read_text())}
    data = np.load(folder / "digits_eval.npz")
    x, y = torch.from_numpy(data["x"]).double(), torch.from_numpy(data["y"])
    params = [{k: v.double() for k, v in torch.load(f).items()} for f in files]

    def fixture_logits(p):
        with torch.no_grad():
            return vit_fixtures.model_of(p)(x)

    return {
        "name": "vit", "files": files, "data": folder / "digits_eval.npz", "cfg": cfg, "params": params,
        "groups": vit_groups(cfg, params[0]), "layers": cfg["num_hidden_layers"],
        "record": lambda p: vit_record(p, cfg, x),
        "scored": lambda logits: (logits, y),
        "fixture_logits": fixture_logits,
    }


# ---------------------------------------------------------------- permutations


def check_spec(pair):
    """Every unit of every tensor axis is claimed by at most one group."""
    claimed = {}
    for g, group in pair["groups"].items():
        for tensor, axis, start in group["entries"]:
            shape = pair["params"][0][tensor].shape
            assert start + group["size"] <= shape[axis], f"{g}: {tensor} axis {axis} is too short"
            for u in range(start, start + group["size"]):
                key = (tensor, axis, u)
                assert key not in claimed, f"{tensor} axis {axis} unit {u} is in {claimed[key]} and {g}"
                claimed[key] = g


def permute(params, groups, perms):
    out = dict(params)
    for g, perm in perms.items():
        idx = torch.as_tensor(perm)
        for tensor, axis, start in groups[g]["entries"]:
            t = out[tensor].clone()
            n = len(perm)
            block = t.narrow(axis, start, n)
            block.copy_(block.index_select(axis, idx))
            out[tensor] = t
    return out


def identity(groups):
    return {g: np.arange(group["size"]) for g, group in groups.items()}


def matricised(t, axis, start, n):
    return t.narrow(axis, start, n).movedim(axis, 0).reshape(n, -1)


def gains(a, pb, group):
    n = group["size"]
    c = torch.zeros(n, n, dtype=torch.float64)
    for tensor, axis, start in group["entries"]:
        c += matricised(a[tensor], axis, start, n) @ matricised(pb[tensor], axis, start, n).T
    return c.numpy()


def assignment(c):
    rows, cols = linear_sum_assignment(c, maximize=True)
    assert np.array_equal(rows, np.arange(len(c)))
    return cols, float(c[rows, cols].sum())


def two_level(c_qk, c_vo, heads):
    """Head-structured optimum of Σ C_qk[i, pqk(i)] + Σ C_vo[i, pvo(i)] with one head assignment."""
    hd = len(c_qk) // heads
    blocks = lambda c, a, b: c[a * hd:(a + 1) * hd, b * hd:(b + 1) * hd]  # noqa: E731
    within = {}
    s = np.zeros((heads, heads))
    for a in range(heads):
        for b in range(heads):
            within[a, b] = (assignment(blocks(c_qk, a, b)), assignment(blocks(c_vo, a, b)))
            s[a, b] = within[a, b][0][1] + within[a, b][1][1]
    sigma, _ = assignment(s)
    pqk = np.concatenate([sigma[a] * hd + within[a, sigma[a]][0][0] for a in range(heads)])
    pvo = np.concatenate([sigma[a] * hd + within[a, sigma[a]][1][0] for a in range(heads)])
    return pqk, pvo, sigma


def random_perms(groups, rng):
    perms = {}
    for g, group in groups.items():
        n, heads = group["size"], group["heads"]
        if heads is None:
            perms[g] = rng.permutation(n)
    for g, group in groups.items():
        if g.endswith(".qk"):
            heads, hd = group["heads"], group["size"] // group["heads"]
            sigma = rng.permutation(heads)
            for kind in ("qk", "vo"):
                perms[g[:-2] + kind] = np.concatenate([sigma[a] * hd + rng.permutation(hd) for a in range(heads)])
    return perms


# ---------------------------------------------------------------- weight matching


def inner(a, b, names):
    return float(sum((a[k] * b[k]).sum() for k in names))


def coordinates(pair):
    coords = [("residual",)]
    for i in range(pair["layers"]):
        coords += [(f"h.{i}.qk", f"h.{i}.vo"), (f"h.{i}.mlp",)]
    return coords


def weight_matching(pair, seed):
    a, b = pair["params"]
    groups = pair["groups"]
    coords = coordinates(pair)
    touched = [sorted({e[0] for g in c for e in groups[g]["entries"]}) for c in coords]
    perms = identity(groups)
    random = seeded_random(seed)
    objective = inner(a, permute(b, groups, perms), a)
    history = [objective]
    sweeps = 0
    while sweeps < MAX_SWEEPS:
        sweeps += 1
        kept = False
        for k in random_order(len(coords), random):
            coord = coords[k]
            others = {g: (np.arange(len(p)) if g in coord else p) for g, p in perms.items()}
            pb = permute(b, groups, others)
            candidate = dict(perms)
            if len(coord) == 1:
                candidate[coord[0]], _ = assignment(gains(a, pb, groups[coord[0]]))
            else:
                qk, vo = coord
                candidate[qk], candidate[vo], _ = two_level(gains(a, pb, groups[qk]), gains(a, pb, groups[vo]), groups[qk]["heads"])
            if all(np.array_equal(candidate[g], perms[g]) for g in coord):
                continue
            before = inner(a, permute(b, groups, perms), touched[k])
            after = inner(a, permute(b, groups, candidate), touched[k])
            if after - before > 0 and after - before > TOLERANCE * abs(objective):
                perms = candidate
                objective += after - before
                kept = True
        objective = inner(a, permute(b, groups, perms), a)
        assert objective >= history[-1] - 1e-9, f"{pair['name']} seed {seed}: the objective fell"
        history.append(objective)
        if not kept:
            break
    return perms, history


def weight_restarts(pair):
    """Every start, seeds 0 .. RESTARTS − 1 (each (perms, history)), and the seed of the best: the
    highest final objective, the first on a tie."""
    runs = [weight_matching(pair, seed) for seed in range(RESTARTS)]
    return runs, max(range(RESTARTS), key=lambda s: (runs[s][1][-1], -s))


# ---------------------------------------------------------------- activation matching


def pearson(fa, fb):
    ca, cb = fa - fa.mean(0), fb - fb.mean(0)
    sa, sb = np.sqrt((ca ** 2).mean(0)), np.sqrt((cb ** 2).mean(0))
    cov = ca.T @ cb / len(fa)
    denom = np.outer(sa, sb)
    ok = (sa[:, None] > STD_FLOOR) & (sb[None, :] > STD_FLOOR)
    return np.where(ok, cov / np.where(ok, denom, 1.0), 0.0)


def activation_matching(pair):
    a, b = pair["params"]
    with torch.no_grad():
        _, ra = pair["record"](a)
        _, rb = pair["record"](b)
    corr = lambda key: pearson(ra[key].numpy(), rb[key].numpy())  # noqa: E731
    perms, totals = {}, {}
    c = np.mean([pearson(x.numpy(), y.numpy()) for x, y in zip(ra["residual"], rb["residual"])], axis=0)
    perms["residual"], totals["residual"] = assignment(c)
    heads = {}
    for i in range(pair["layers"]):
        perms[f"h.{i}.mlp"], totals[f"h.{i}.mlp"] = assignment(corr(f"h.{i}.mlp"))
        c_qk = (corr(f"h.{i}.q") + corr(f"h.{i}.k")) / 2
        c_vo = corr(f"h.{i}.vo")
        pqk, pvo, sigma = two_level(c_qk, c_vo, pair["groups"][f"h.{i}.qk"]["heads"])
        perms[f"h.{i}.qk"], perms[f"h.{i}.vo"], heads[f"h.{i}"] = pqk, pvo, sigma
        totals[f"h.{i}.qk"] = float(c_qk[np.arange(len(pqk)), pqk].sum())
        totals[f"h.{i}.vo"] = float(c_vo[np.arange(len(pvo)), pvo].sum())
    return perms, totals, heads


def heads_of(perms, groups):
    """The head assignment a permutation implies (head a of A ↔ head σ(a) of B)."""
    out = {}
    for g, group in groups.items():
        if g.endswith(".qk"):
            hd = group["size"] // group["heads"]
            out[g[:-3]] = [int(perms[g][a * hd] // hd) for a in range(group["heads"])]
    return out


# ---------------------------------------------------------------- paths and equivalence


def evaluate(pair, params):
    with torch.no_grad():
        logits, _ = pair["record"](params)
    scored, target = pair["scored"](logits)
    return F.cross_entropy(scored, target).item(), (scored.argmax(-1) == target).double().mean().item()


def path(pair, pb):
    a = pair["params"][0]
    loss, acc = [], []
    for alpha in ALPHAS:
        l_, a_ = evaluate(pair, {k: (1 - alpha) * a[k] + alpha * pb[k] for k in a})
        loss.append(l_)
        acc.append(a_)
    line = lambda v, al: (1 - al) * v[0] + al * v[-1]  # noqa: E731
    return {
        "loss": loss, "accuracy": acc,
        "barrier": {"loss": max(l_ - line(loss, al) for al, l_ in zip(ALPHAS, loss)),
                    "accuracy": max(line(acc, al) - a_ for al, a_ in zip(ALPHAS, acc))},
    }


def max_logit_difference(pair, pb):
    with torch.no_grad():
        return float((pair["record"](pb)[0] - pair["record"](pair["params"][1])[0]).abs().max())


# ---------------------------------------------------------------- main


def as_lists(perms):
    return {g: [int(i) for i in p] for g, p in perms.items()}


def run_pair(pair):
    check_spec(pair)
    a, b = pair["params"]
    groups = pair["groups"]
    with torch.no_grad():
        for p in (a, b):
            ours, theirs = pair["record"](p)[0], pair["fixture_logits"](p)
            assert (ours - theirs).abs().max() < 1e-10, f"{pair['name']}: the recording forward differs from the fixture's"
    random_equivalence = []
    for s in range(3):
        pb = permute(b, groups, random_perms(groups, np.random.RandomState(100 + s)))
        random_equivalence.append(max_logit_difference(pair, pb))
        assert random_equivalence[-1] < EQUIVALENCE_LIMIT, f"{pair['name']}: a random permutation changed the logits by {random_equivalence[-1]}"

    # A permuted copy of A must be recovered exactly by both methods. Weight matching as the
    # comparison runs it, best of the restarts: a single start can stop at a local optimum even
    # here (on the ViT, seeds 0, 1, 2, 4 and 7 stop at about half of ⟨θA, θA⟩).
    copy = {**pair, "params": [a, permute(a, groups, random_perms(groups, np.random.RandomState(7)))]}
    copy_runs, copy_best = weight_restarts(copy)
    for method, found in (("weight", copy_runs[copy_best][0]), ("activation", activation_matching(copy)[0])):
        back = permute(copy["params"][1], groups, found)
        assert all(torch.equal(back[k], a[k]) for k in a), f"{pair['name']}: {method} matching did not undo a permutation of A"

    runs, wseed = weight_restarts(pair)
    restarts = []
    for seed, (perms, history) in enumerate(runs):
        barrier = path(pair, permute(b, groups, perms))["barrier"]
        restarts.append({"seed": seed, "objective": history[-1], "sweeps": len(history) - 1, "objectiveBySweep": history,
                         "barrier": barrier, "permutations": as_lists(perms)})
        print(f"  {pair['name']} weight matching seed {seed}: objective {history[0]:.6f} -> {history[-1]:.6f}"
              f" in {len(history) - 1} sweeps, loss barrier {barrier['loss']:.4f}", flush=True)
    wperms, history = runs[wseed]
    aperms, totals, aheads = activation_matching(pair)
    perms_of = {"naive": identity(groups), "weight": wperms, "activation": aperms}

    res = {
        "checkpoints": {"a": str(pair["files"][0].relative_to(ROOT)), "b": str(pair["files"][1].relative_to(ROOT))},
        "evaluation": str(pair["data"].relative_to(ROOT)),
        "groups": {g: {"size": group["size"], "heads": group["heads"],
                       "entries": [{"tensor": t, "axis": ax, "start": st} for t, ax, st in group["entries"]]}
                   for g, group in groups.items()},
        "coordinates": [list(c) for c in coordinates(pair)],
        "endpoints": {},
        "weight": {"objectiveBefore": history[0], "objective": history[-1], "seed": wseed,
                   "sweeps": len(history) - 1, "objectiveBySweep": history, "restarts": restarts},
        "activation": {"correlationTotal": totals},
        "permutations": {m: as_lists(p) for m, p in perms_of.items()},
        "heads": {"weight": heads_of(wperms, groups), "activation": {k: [int(i) for i in v] for k, v in aheads.items()}},
        "paths": {},
        "objective": {},
        "equivalence": {},
        "equivalenceRandom": random_equivalence,
    }
    for tag, p in zip("ab", (a, b)):
        loss, acc = evaluate(pair, p)
        res["endpoints"][tag] = {"loss": loss, "accuracy": acc}
    if pair["name"] == "gpt2":
        # The same permutations scored with lm_head as a tensor of its own (wte's product twice).
        pb = permute(b, groups, wperms)
        res["weight"]["objectiveTiedCountedTwice"] = history[-1] + inner(a, pb, ["transformer.wte.weight"])
    assert heads_of(aperms, groups) == res["heads"]["activation"]
    for method, perms in perms_of.items():
        pb = permute(b, groups, perms)
        res["objective"][method] = inner(a, pb, a)
        res["equivalence"][method] = max_logit_difference(pair, pb)
        assert res["equivalence"][method] < EQUIVALENCE_LIMIT, f"{pair['name']} {method}: π(B) differs from B"
        res["paths"][method] = path(pair, pb)
    return res


def compact_json(value, indent=""):
    """JSON with one line per list of numbers and per flat object, so that a permutation reads as one line."""
    deeper = indent + " "
    flat = isinstance(value, dict) and all(isinstance(v, (int, float, str)) or v is None for v in value.values())
    if isinstance(value, dict) and not flat:
        items = [f"{deeper}{json.dumps(k)}: {compact_json(v, deeper)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}" if items else "{}"
    if isinstance(value, list) and not all(isinstance(v, (int, float)) for v in value):
        return "[\n" + ",\n".join(deeper + compact_json(v, deeper) for v in value) + "\n" + indent + "]"
    return json.dumps(value)


def main():
    start = time.time()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    report = {
        "description": "written by test/reference/make_transformer_reference.py; its docstring states every convention",
        "alphas": ALPHAS, "restarts": RESTARTS, "maxSweeps": MAX_SWEEPS, "tolerance": TOLERANCE,
        "precision": "float64 from the saved float32 weights",
        "pairs": {},
    }
    for load in (load_gpt2, load_vit):
        pair = load()
        report["pairs"][pair["name"]] = run_pair(pair)
    report["runtime_s"] = round(time.time() - start, 1)
    OUT.write_text(compact_json(report) + "\n")

    print(f"\n{'pair':6s} {'method':11s} {'loss barrier':>12s} {'acc barrier':>11s} {'mid loss':>9s} {'mid acc':>8s} {'equiv':>9s}")
    for name, res in report["pairs"].items():
        e = res["endpoints"]
        print(f"{name}: A loss {e['a']['loss']:.4f} acc {e['a']['accuracy']:.4f} | B loss {e['b']['loss']:.4f} acc {e['b']['accuracy']:.4f}"
              f" | weight objective {res['weight']['objectiveBefore']:.4f} -> {res['weight']['objective']:.4f} (seed {res['weight']['seed']})")
        for method, p in res["paths"].items():
            print(f"{name:6s} {method:11s} {p['barrier']['loss']:12.4f} {p['barrier']['accuracy']:11.4f}"
                  f" {p['loss'][5]:9.4f} {p['accuracy'][5]:8.4f} {res['equivalence'][method]:9.1e}")
    print(f"self-checks passed; {report['runtime_s']} s; wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
