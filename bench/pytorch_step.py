#!/usr/bin/python3
"""PyTorch baseline for `kit bench` (a): one CorrKD student training step, written independently from
/work/shared/CORRKD-SPEC.md to mirror the C# backbone (lib/Model) and objective (lib/Distillation).

Run with Debian's /usr/bin/python3 (torch 1.13.1) and OPENBLAS_NUM_THREADS=1. The process is long-lived so
the C# side can alternate with it: it builds the models, warms up, prints one JSON line
{"ready": ..., "params_backbone": P, "params_objective": Q}, then answers each stdin line
"run STEPS" with {"seconds": S, "samples_per_s": R} and exits on "quit" or end of input.

Step = frozen teacher forward (eval, no grad) on the complete input + student forward and backward +
CE + SCD + CPD + RCD (JSD statistics networks) + global-norm gradient clipping + Adam step + loss.item().
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class EncoderLayer(nn.Module):
    """Pre-LN layer: x += Drop(MHA(LN(x))); x += Drop(FFN(LN(x))), FFN = Linear(d,4d) ReLU Drop Linear(4d,d)."""

    def __init__(self, d, heads, p_attn, p_res):
        super().__init__()
        self.heads, self.p_attn = heads, p_attn
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.out_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ff1, self.ff2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.res_drop, self.ff_drop = nn.Dropout(p_res), nn.Dropout(p_res)

    def forward(self, x):
        b, t, d = x.shape
        dh = d // self.heads
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4)  # (B,H,T,dh) each
        # torch 1.13 has no F.scaled_dot_product_attention: the same math written out.
        w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh), dim=-1)
        w = F.dropout(w, self.p_attn, self.training)
        a = (w @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.res_drop(self.out_proj(a))
        f = self.ff2(self.ff_drop(F.relu(self.ff1(self.norm2(x)))))
        return x + self.res_drop(f)


def sinusoidal(t, d):
    pos = torch.arange(t, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    ang = pos * freq
    return torch.stack([torch.sin(ang), torch.cos(ang)], dim=2).reshape(t, -1)[:, :d]


class ModalityEncoder(nn.Module):
    def __init__(self, d_in, d, heads, layers, kernel, p_embed, p_attn, p_res):
        super().__init__()
        self.d = d
        self.proj = nn.Conv1d(d_in, d, kernel, padding=(kernel - 1) // 2, bias=False)
        self.embed_drop = nn.Dropout(p_embed)
        self.layers = nn.ModuleList([EncoderLayer(d, heads, p_attn, p_res) for _ in range(layers)])
        self.final_norm = nn.LayerNorm(d)

    def forward(self, x):  # (B, T, d_m) -> (B, T, d)
        e = self.proj(x.transpose(1, 2)).transpose(1, 2) * math.sqrt(self.d)
        e = self.embed_drop(e + sinusoidal(e.shape[1], self.d))
        for layer in self.layers:
            e = layer(e)
        return self.final_norm(e)


class Backbone(nn.Module):
    def __init__(self, dims, k, d=40, heads=10, layers=2, kernel=3, p=0.1):
        super().__init__()
        self.encoders = nn.ModuleList([ModalityEncoder(dm, d, heads, layers, kernel, p, p, p) for dm in dims])
        self.head1, self.head2 = nn.Linear(d, d), nn.Linear(d, k)
        self.head_drop = nn.Dropout(p)

    def forward(self, mods):
        enc = [e(x) for e, x in zip(self.encoders, mods)]
        h = torch.cat(enc, 1).mean(1)  # fusion "time": mean over all T_l + T_a + T_v frames -> (B, d)
        return h, self.head2(self.head_drop(F.relu(self.head1(h))))


class Statistics(nn.Module):
    """JSD statistics network T(x, y) = Linear(2k, H) ReLU Linear(H, 1)."""

    def __init__(self, k, hidden=32):
        super().__init__()
        self.hidden, self.out = nn.Linear(2 * k, hidden), nn.Linear(hidden, 1)

    def forward(self, x, y):
        return self.out(F.relu(self.hidden(torch.cat([x, y], 1)))).squeeze(1)

    def mi(self, x, y, perm):
        return -F.softplus(-self(x, y)).mean() - F.softplus(self(x, y[perm])).mean()


class Objective(nn.Module):
    """task CE + SCD (normalised, squared, margin 1) + CPD (mean over present classes) + RCD (tau 1)."""

    def __init__(self, k, hidden=32, margin=1.0, tau=1.0):
        super().__init__()
        self.k, self.margin, self.tau = k, margin, tau
        self.target_stats = Statistics(2, hidden)
        self.nontarget_stats = Statistics(k - 1, hidden) if k > 2 else None

    def scd(self, hs, ht):
        s, t = F.normalize(hs, dim=1), F.normalize(ht, dim=1)
        n = s.shape[0]
        pos = (s - t).pow(2).sum(1).mean()
        d = (s.unsqueeze(1) - t.unsqueeze(0)).pow(2).sum(2).clamp_min(1e-12).sqrt()
        hinge = (self.margin - d).clamp_min(0).pow(2)
        off = ~torch.eye(n, dtype=torch.bool)
        return pos + hinge[off].sum() / (n * (n - 1))

    def cpd(self, hs, ht, y):
        oh = F.one_hot(y, self.k).to(hs.dtype)
        counts = oh.sum(0)
        present = (counts > 0).to(hs.dtype)

        def corr(h):
            protos = oh.t() @ h / counts.clamp_min(1).unsqueeze(1)
            return F.normalize(h, dim=1) @ F.normalize(protos, dim=1).t()

        gap = (corr(ht) - corr(hs)).pow(2) * present.unsqueeze(0)
        return gap.sum() / (present.sum() * hs.shape[0])

    def target_part(self, z, y):
        p = torch.softmax(z / self.tau, 1).gather(1, y.unsqueeze(1))
        return torch.cat([p, 1 - p], 1)

    def nontarget_part(self, z, y):
        n, k = z.shape
        mask = ~F.one_hot(y, k).bool()
        idx = torch.arange(k).expand(n, k)[mask].view(n, k - 1)
        return torch.softmax(z.gather(1, idx) / self.tau, 1)

    def forward(self, hs, zs, ht, zt, y):
        perm = torch.randperm(hs.shape[0])
        mi_t = self.target_stats.mi(self.target_part(zt, y), self.target_part(zs, y), perm)
        mi_nt = (self.nontarget_stats.mi(self.nontarget_part(zt, y), self.nontarget_part(zs, y), perm)
                 if self.nontarget_stats is not None else torch.zeros(()))
        rcd = -(mi_t + mi_nt)
        return F.cross_entropy(zs, y) + self.scd(hs, ht) + self.cpd(hs, ht, y) + rcd


def blas_libraries():
    """Paths of the BLAS/LAPACK libraries this process has mapped (after a matmul has loaded them), ";"-joined.
    Debian's torch calls libblas.so.3 and liblapack.so.3, which its alternatives point at OpenBLAS or the reference BLAS."""
    torch.ones(2, 2) @ torch.ones(2, 2)
    found = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if any(k in name for k in ("blas", "lapack", "blis", "mkl")) and path not in found:
                found.append(path)
    return ";".join(found) or "none found"


def sgemm_gflops():
    """Single-thread GFLOP/s of a 512x512 float32 matmul, best of 5: tells an optimised BLAS (over a hundred
    on an EPYC with OpenBLAS) from the reference one (about 5)."""
    torch.set_num_threads(1)
    a, b = torch.randn(512, 512), torch.randn(512, 512)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * 512 ** 3 / best / 1e9


def main():
    if sys.argv[1:] == ["--blas"]:   # the bench's availability check: torch's version, BLAS and its speed, nothing else
        print(json.dumps({"torch": torch.__version__, "blas": blas_libraries(), "sgemm_gflops": sgemm_gflops()}))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--seq", type=int, required=True)
    ap.add_argument("--dims", required=True, help="l,a,v input dims, e.g. 300,5,20")
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("--hidden", type=int, default=40)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--clip", type=float, default=0.8)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads(N); 0 = leave torch's default")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dims = [int(x) for x in a.dims.split(",")]
    teacher = Backbone(dims, a.classes, a.hidden, a.heads, a.layers).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    student = Backbone(dims, a.classes, a.hidden, a.heads, a.layers).train()
    objective = Objective(a.classes).train()
    params = list(student.parameters()) + list(objective.parameters())
    opt = torch.optim.Adam(params, lr=a.lr)

    xs = [torch.randn(a.batch, a.seq, d) for d in dims]
    y = torch.randint(0, a.classes, (a.batch,))

    def step():
        with torch.no_grad():
            ht, zt = teacher(xs)
        hs, zs = student(xs)
        loss = objective(hs, zs, ht, zt, y)
        opt.zero_grad()
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(params, a.clip)
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_libraries(),
                      "params_backbone": sum(p.numel() for p in student.parameters()),
                      "params_objective": sum(p.numel() for p in objective.parameters())}), flush=True)

    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] != "run":
            print(json.dumps({"error": f"unknown command {line.strip()!r}"}), flush=True)
            continue
        steps = int(cmd[1])
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        dt = time.perf_counter() - t0
        print(json.dumps({"seconds": dt, "samples_per_s": steps * a.batch / dt}), flush=True)


if __name__ == "__main__":
    main()
