"""The peer to beat: PyTorch (Debian's python3-torch, fp32, AdamW) training the
model the engine trains, with the same shapes, batch and vocabulary. Prints tokens/s
(median of timed steps). Run by bench/compare_torch.sh, which sets the process
settings that make PyTorch fast on this machine.

usage: torch_peer.py D_MODEL N_LAYER [--threads 2] [--steps 5] [--batch 8] [--ctx 256] [--vocab 4096]
                     [--device cpu|cuda] [--dtype fp32|tf32|bf16] [--compile] [--sdpa]
On cuda: bf16 is autocast (bf16 matmuls, fp32 master weights), tf32 allows TF32 matmuls,
--sdpa uses F.scaled_dot_product_attention (flash) instead of the explicit softmax, and
AdamW is the fused one; steps are timed between torch.cuda.synchronize() calls.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


SDPA = False


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.gain


def rope_tables(T, hd):
    i = torch.arange(hd // 2, dtype=torch.float64)
    freq = 10000.0 ** (-2.0 * i / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * freq[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def rope(x, cos, sin):  # x: [B, H, T, hd], interleaved pairs
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, d, h, f):
        super().__init__()
        self.h, self.f = h, f
        self.ln1, self.ln2 = RMSNorm(d), RMSNorm(d)
        self.wqkv = nn.Linear(d, 3 * d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.w13 = nn.Linear(d, 2 * f, bias=False)
        self.w2 = nn.Linear(f, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, C = x.shape
        q, k, v = self.wqkv(self.ln1(x)).split(C, dim=-1)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        if SDPA:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(C // self.h)
            att = att.masked_fill(mask, float("-inf")).softmax(-1)
            y = att @ v
        y = y.transpose(1, 2).reshape(B, T, C)
        x = x + self.wo(y)
        g, u = self.w13(self.ln2(x)).split(self.f, dim=-1)
        return x + self.w2(F.silu(g) * u)


class Model(nn.Module):
    def __init__(self, V, d, L, h, T):
        super().__init__()
        f = ((8 * d + 2) // 3 + 31) // 32 * 32  # the engine's default SwiGLU width
        self.wte = nn.Embedding(V, d)
        self.blocks = nn.ModuleList(Block(d, h, f) for _ in range(L))
        self.lnf = RMSNorm(d)
        self.lm = nn.Linear(d, V, bias=False)
        cos, sin = rope_tables(T, d // h)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def forward(self, idx, targets):
        x = self.wte(idx)
        for b in self.blocks:
            x = b(x, self.cos, self.sin, self.mask)
        logits = self.lm(self.lnf(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("d_model", type=int)
    p.add_argument("n_layer", type=int)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--ctx", type=int, default=256)
    p.add_argument("--vocab", type=int, default=4096)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--dtype", default="fp32", choices=["fp32", "tf32", "bf16"])
    p.add_argument("--compile", action="store_true")
    p.add_argument("--sdpa", action="store_true")
    a = p.parse_args()
    global SDPA
    SDPA = a.sdpa
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cuda = a.device == "cuda"
    torch.backends.cuda.matmul.allow_tf32 = a.dtype == "tf32"
    torch.backends.cudnn.allow_tf32 = a.dtype == "tf32"
    heads = max(1, a.d_model // 64)  # as bench/train_bench.c
    model = Model(a.vocab, a.d_model, a.n_layer, heads, a.ctx).to(a.device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8,
                            weight_decay=0.1, **({"fused": True} if cuda else {}))
    fwd = torch.compile(model) if a.compile else model
    g = torch.Generator().manual_seed(1)
    idx = torch.randint(0, a.vocab, (a.batch, a.ctx), generator=g).to(a.device)
    tgt = torch.randint(0, a.vocab, (a.batch, a.ctx), generator=g).to(a.device)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    times = []
    warm = 3 if a.compile or cuda else 1
    for step in range(a.steps + warm):  # the first steps warm up (and compile)
        sync()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast(a.device, dtype=torch.bfloat16, enabled=a.dtype == "bf16"):
            loss = fwd(idx, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0) if cuda else None
        opt.step()
        sync()
        if step >= warm:
            times.append(time.perf_counter() - t0)
    print(f"{a.batch * a.ctx / statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
