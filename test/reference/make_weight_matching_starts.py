"""The reference's weight matching from many group orders (issue 11), on the trained fixture pairs.

Weight matching by coordinate descent ends at a local optimum that depends on the order in which
the groups are visited. This runs the independent references' own weight matching (make_reference.py
for the MLPs, make_conv_reference.py for the VGG and the ResNet, each seeding numpy's RandomState
with the start's seed) from seeds 0..15 and writes the objective Σ⟨θA, π(θB)⟩ each start ends at,
so that the engine's default can be held to the reference's default start (seed 0) and to the
spread of its starts. Nothing here comes from the TypeScript engine.

Re-run (seconds; needs Debian's torch, numpy and scipy, and the trained fixtures):
    cd /work/main && /usr/bin/python3 test/reference/make_weight_matching_starts.py
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_conv_reference as conv  # noqa: E402
import make_reference as mlp  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures"
OUT = FIXTURES / "restarts" / "expected.json"
SEEDS = range(16)


def conv_starts(name):
    files = conv.NETWORKS[name]["files"]
    sa, sb = (torch.load(FIXTURES / "conv" / f) for f in files)
    spec, views = conv.vgg_spec() if name == "vgg" else conv.resnet_spec()
    identity = {g: np.arange(sa[axes[0][0]].shape[axes[0][1]]) for g, axes in spec.items()}
    starts = []
    for seed in SEEDS:
        _, history = conv.weight_matching(sa, sb, spec, views, seed=seed)
        starts.append({"seed": seed, "objective": history[-1], "sweeps": len(history) - 1})
    return {
        "checkpoints": {"a": f"conv/{files[0]}", "b": f"conv/{files[1]}"},
        "inputShape": [1, 28, 28],
        "groups": list(spec),
        "objectiveIdentity": conv.weight_objective(sa, sb, spec, views, identity),
        "starts": starts,
    }


def mlp_starts(name):
    files = mlp.NETWORKS[name]["files"]
    la, lb = (mlp.to_layers(torch.load(FIXTURES / "compare" / f)) for f in files)
    starts = []
    for seed in SEEDS:
        perms, details = mlp.weight_matching(la, lb, seed=seed)
        starts.append({"seed": seed, "objective": mlp.weight_objective(la, lb, perms), "sweeps": details["sweeps"]})
    return {
        "checkpoints": {"a": f"compare/{files[0]}", "b": f"compare/{files[1]}"},
        "inputShape": [784],
        "groups": list(mlp.LAYER_NAMES[:-1]),
        "objectiveIdentity": mlp.weight_objective(la, lb, mlp.identity_perms(la)),
        "starts": starts,
    }


def main():
    torch.set_num_threads(1)
    pairs = {"resnet": conv_starts("resnet"), "vgg": conv_starts("vgg"), "mlp": mlp_starts("relu"), "mlpTanh": mlp_starts("tanh")}
    for name, pair in pairs.items():
        objectives = [s["objective"] for s in pair["starts"]]
        # A start never ends below the identity it starts from, and the spread is what the engine's
        # several starts are for.
        assert min(objectives) >= pair["objectiveIdentity"], name
        print(f"{name}: identity {pair['objectiveIdentity']:.4f}, seed 0 {objectives[0]:.4f}, "
              f"starts {min(objectives):.4f} .. median {np.median(objectives):.4f} .. {max(objectives):.4f}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "description": "written by test/reference/make_weight_matching_starts.py: the reference's weight matching "
                       "objective Σ⟨θA, π(θB)⟩ (every floating tensor but BatchNorm's running statistics, float64 from "
                       "the float32 checkpoints) after one start from each seed; seed 0 is the reference's default",
        "pairs": pairs,
    }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
