"""Independent PyTorch reference for CorrKD.Distillation (SCD, CPD, RCD, KL).

Written separately from the C# code and, where it is cheap, in a different style (explicit loops over samples,
classes and pairs, torch's own cosine_similarity / kl_div), so that an agreement is evidence rather than a copy.
Computes in float64; inputs are rounded to 4 decimals so the JSON holds them exactly.

Run:  /usr/bin/python3 tests/reference/distillation_reference.py   (torch 1.13.1)
Writes tests/reference/distillation_reference.json next to this file.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
N, D = 6, 5


def rounded(*shape, scale=1.0):
    return torch.round(torch.randn(*shape) * scale * 1e4) / 1e4


def tolist(t):
    return t.detach().tolist()


# ---------------------------------------------------------------- inputs
torch.manual_seed(20240417)
inputs = {
    "K2": {"hS": rounded(N, D), "hT": rounded(N, D), "zS": rounded(N, 2, scale=1.5), "zT": rounded(N, 2, scale=1.5),
           "y": torch.tensor([0, 1, 1, 0, 1, 0])},
    # class 1 is absent from the batch on purpose (CPD must skip it)
    "K4": {"hS": rounded(N, D), "hT": rounded(N, D), "zS": rounded(N, 4, scale=1.5), "zT": rounded(N, 4, scale=1.5),
           "y": torch.tensor([0, 2, 2, 3, 0, 2])},
}


def leaf(t):
    return t.clone().requires_grad_(True)


# ---------------------------------------------------------------- SCD
def scd(hs, ht, margin, normalize, squared):
    if normalize:
        hs = hs / hs.norm(dim=1, keepdim=True)
        ht = ht / ht.norm(dim=1, keepdim=True)
    n = hs.shape[0]
    pos = 0.0
    neg = 0.0
    for i in range(n):
        dii = torch.linalg.vector_norm(hs[i] - ht[i])
        pos = pos + (dii ** 2 if squared else dii)
        for j in range(n):
            if i == j:
                continue
            hinge = torch.clamp(margin - torch.linalg.vector_norm(hs[i] - ht[j]), min=0.0)
            neg = neg + (hinge ** 2 if squared else hinge)
    loss = pos / n
    if n > 1:
        loss = loss + neg / (n * (n - 1))
    return loss


scd_cases = []
for name, inp, margin, normalize, squared in [
    ("default", "K4", 1.0, True, True),
    ("raw-margin3", "K4", 3.0, False, True),
    ("unsquared-margin1.5", "K2", 1.5, True, False),
]:
    hs = leaf(inputs[inp]["hS"])
    loss = scd(hs, inputs[inp]["hT"], margin, normalize, squared)
    loss.backward()
    scd_cases.append({"name": name, "input": inp, "margin": margin, "normalize": normalize, "squared": squared,
                      "loss": loss.item(), "grad_hS": tolist(hs.grad)})


# ---------------------------------------------------------------- CPD
def cpd(hs, ht, y, k, reduction):
    classes = [c for c in range(k) if (y == c).any()]
    total = 0.0
    for c in classes:
        members = y == c
        ps = hs[members].mean(0)
        pt = ht[members].mean(0)
        ms = F.cosine_similarity(hs, ps.unsqueeze(0).expand_as(hs), dim=1)
        mt = F.cosine_similarity(ht, pt.unsqueeze(0).expand_as(ht), dim=1)
        total = total + ((mt - ms) ** 2).sum()
    n = hs.shape[0]
    return total / (n * len(classes)) if reduction == "mean" else total / n


cpd_cases = []
for inp, k, reduction in [("K4", 4, "mean"), ("K4", 4, "sum"), ("K2", 2, "mean")]:
    hs = leaf(inputs[inp]["hS"])
    loss = cpd(hs, inputs[inp]["hT"], inputs[inp]["y"], k, reduction)
    loss.backward()
    cpd_cases.append({"input": inp, "num_classes": k, "reduction": reduction, "loss": loss.item(), "grad_hS": tolist(hs.grad)})


# ---------------------------------------------------------------- RCD
class StatNet(torch.nn.Module):
    """T(x, y) = Linear(2k, H) -> ReLU -> Linear(H, 1); names match the C# module's state dict."""

    def __init__(self, k, h):
        super().__init__()
        self.hidden = torch.nn.Linear(2 * k, h)
        self.output = torch.nn.Linear(h, 1)

    def forward(self, x, y):
        return self.output(torch.relu(self.hidden(torch.cat([x, y], 1)))).squeeze(1)


def jsd_mi(net, x, y, perm):
    joint = net(x, y)
    marginal = net(x, y[perm])
    return (-F.softplus(-joint)).mean() - F.softplus(marginal).mean()


def target_part(z, y, tau):
    p = torch.softmax(z / tau, dim=1)
    pt = torch.stack([p[i, y[i]] for i in range(z.shape[0])])
    return torch.stack([pt, 1 - pt], dim=1)


def non_target_part(z, y, tau):
    rows = []
    for i in range(z.shape[0]):
        keep = [c for c in range(z.shape[1]) if c != int(y[i])]
        rows.append(torch.softmax(z[i, keep] / tau, dim=0))
    return torch.stack(rows)


def rounded_net(k, h):
    net = StatNet(k, h)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.round(p * 1e4) / 1e4)
    return net


def net_json(net, grads=False):
    return {n: tolist(p.grad if grads else p) for n, p in net.named_parameters()}


rcd_cases = []
HIDDEN = 8
for inp, k, tau, w_t, w_nt, perm in [
    ("K2", 2, 1.0, 1.0, 1.0, [3, 0, 5, 1, 2, 4]),
    ("K4", 4, 2.0, 1.0, 0.5, [2, 4, 0, 5, 3, 1]),
    ("K4", 4, 1.0, 1.0, 1.0, [1, 2, 3, 4, 5, 0]),
]:
    torch.manual_seed(7 + k)
    tnet = rounded_net(2, HIDDEN)
    ntnet = rounded_net(k - 1, HIDDEN) if k > 2 else None
    zs = leaf(inputs[inp]["zS"])
    zt, y = inputs[inp]["zT"], inputs[inp]["y"]
    p = torch.tensor(perm)
    mi_t = jsd_mi(tnet, target_part(zt, y, tau), target_part(zs, y, tau), p)
    mi_nt = jsd_mi(ntnet, non_target_part(zt, y, tau), non_target_part(zs, y, tau), p) if ntnet is not None else torch.tensor(0.0)
    loss = -(w_t * mi_t + w_nt * mi_nt)
    loss.backward()
    rcd_cases.append({
        "input": inp, "num_classes": k, "tau": tau, "w_t": w_t, "w_nt": w_nt, "hidden": HIDDEN, "perm": perm,
        "target_net": net_json(tnet), "non_target_net": net_json(ntnet) if ntnet else None,
        "loss": loss.item(), "target_mi": mi_t.item(), "non_target_mi": mi_nt.item(), "grad_zS": tolist(zs.grad),
        "grad_target_net": net_json(tnet, grads=True),
        "grad_non_target_net": net_json(ntnet, grads=True) if ntnet else None,
    })


# ---------------------------------------------------------------- KL
kl_cases = []
for inp, tau in [("K4", 1.0), ("K4", 2.0), ("K2", 4.0)]:
    zs = leaf(inputs[inp]["zS"])
    zt = inputs[inp]["zT"]
    loss = F.kl_div(F.log_softmax(zs / tau, dim=1), F.softmax(zt / tau, dim=1), reduction="batchmean") * tau ** 2
    loss.backward()
    kl_cases.append({"input": inp, "tau": tau, "loss": loss.item(), "grad_zS": tolist(zs.grad)})


# ---------------------------------------------------------------- whole objective, variant corrkd, K=4, defaults
inp = inputs["K4"]
torch.manual_seed(99)
tnet, ntnet = rounded_net(2, HIDDEN), rounded_net(3, HIDDEN)
perm = [5, 3, 0, 1, 4, 2]
hs, zs = leaf(inp["hS"]), leaf(inp["zS"])
task = F.cross_entropy(zs, inp["y"])
l_scd = scd(hs, inp["hT"], 1.0, True, True)
l_cpd = cpd(hs, inp["hT"], inp["y"], 4, "mean")
p = torch.tensor(perm)
l_rcd = -(jsd_mi(tnet, target_part(inp["zT"], inp["y"], 1.0), target_part(zs, inp["y"], 1.0), p)
          + jsd_mi(ntnet, non_target_part(inp["zT"], inp["y"], 1.0), non_target_part(zs, inp["y"], 1.0), p))
total = task + l_scd + l_cpd + l_rcd
total.backward()
objective = {"input": "K4", "variant": "corrkd", "hidden": HIDDEN, "perm": perm,
             "target_net": net_json(tnet), "non_target_net": net_json(ntnet),
             "task": task.item(), "scd": l_scd.item(), "cpd": l_cpd.item(), "rcd": l_rcd.item(), "total": total.item(),
             "grad_hS": tolist(hs.grad), "grad_zS": tolist(zs.grad)}

out = {
    "about": "Expected values of CorrKD.Distillation, from tests/reference/distillation_reference.py "
             f"(torch {torch.__version__}, float64). Regenerate with /usr/bin/python3 that script.",
    "inputs": {k: {n: tolist(t) for n, t in v.items()} for k, v in inputs.items()},
    "scd": scd_cases, "cpd": cpd_cases, "rcd": rcd_cases, "kl": kl_cases, "objective": objective,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distillation_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
for c in scd_cases: print("scd", c["name"], c["loss"])
for c in cpd_cases: print("cpd", c["input"], c["reduction"], c["loss"])
for c in rcd_cases: print("rcd", c["input"], c["tau"], c["loss"], c["target_mi"], c["non_target_mi"])
for c in kl_cases: print("kl", c["input"], c["tau"], c["loss"])
print("objective", {k: objective[k] for k in ("task", "scd", "cpd", "rcd", "total")})
