#!/usr/bin/env python3
"""The PyTorch side of scripts/peer-bench.sh: MLPify's ViT architecture written in plain PyTorch
(Debian's python3-torch), timed the way `mlpify bench` times it. Prints one JSON object.

  peer_bench.py infer PRESET --batch B [--mlp-only 0,1,3] [--threads T]
  peer_bench.py train PRESET --batch B [--threads T]
  peer_bench.py gemm --size N [--threads T]      sgemm GFLOP/s of N x N x N products

Thread counts for OpenBLAS come from the environment (OPENBLAS_NUM_THREADS, LD_LIBRARY_PATH for
its OpenMP build); --threads is torch.set_num_threads.
"""
import argparse
import ctypes
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# Same shapes as core/model/vit_config.cpp's presets (timm's DeiT; "micro" is MLPify's default model).
PRESETS = {
    "micro": dict(image=28, patch=4, chans=1, classes=10, width=48, heads=3),
    "deit_tiny_patch16_224": dict(image=224, patch=16, chans=3, classes=1000, width=192, heads=3),
    "deit_small_patch16_224": dict(image=224, patch=16, chans=3, classes=1000, width=384, heads=6),
    "deit_base_patch16_224": dict(image=224, patch=16, chans=3, classes=1000, width=768, heads=12),
}
DEPTH = 12


class SelfAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.scale = (width // heads) ** -0.5
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        weights = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, width, heads, mlp_only):
        super().__init__()
        self.mlp_only = mlp_only
        if not mlp_only:
            self.norm1 = nn.LayerNorm(width, eps=1e-6)
            self.attn = SelfAttention(width, heads)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.fc1 = nn.Linear(width, 4 * width)
        self.fc2 = nn.Linear(4 * width, width)

    def forward(self, x):
        if not self.mlp_only:
            x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, image, patch, chans, classes, width, heads, mlp_only=()):
        super().__init__()
        self.patch_embed = nn.Conv2d(chans, width, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, width) * 0.02)
        self.blocks = nn.ModuleList(Block(width, heads, i in mlp_only) for i in range(DEPTH))
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.head = nn.Linear(width, classes)

    def forward(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


def timed(step, warmup, repeats):
    for _ in range(warmup):
        step()
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(ms)


def blas():
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        return {0: "openblas-sequential", 1: "openblas-pthread", 2: "openblas-openmp"}.get(lib.openblas_get_parallel(), "other")
    except OSError:
        return "other"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["infer", "train", "gemm"])
    p.add_argument("preset", nargs="?", default="micro", choices=sorted(PRESETS))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--mlp-only", default="")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--size", type=int, default=2048)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    out = {"mode": a.mode, "threads": a.threads, "blas": blas(), "torch": torch.__version__}
    if a.mode == "gemm":
        x, y = torch.randn(a.size, a.size), torch.randn(a.size, a.size)
        ms = timed(lambda: torch.mm(x, y), a.warmup, a.repeats)
        out.update(size=a.size, gflop_per_s=2.0 * a.size**3 / (ms / 1000.0) / 1e9)
        print(json.dumps(out))
        return
    cfg = PRESETS[a.preset]
    mlp_only = {int(i) for i in a.mlp_only.split(",") if i}
    model = ViT(**cfg, mlp_only=mlp_only)
    images = torch.randn(a.batch, cfg["chans"], cfg["image"], cfg["image"])
    if a.mode == "infer":
        model.eval()

        def step():
            with torch.inference_mode():
                model(images)
    else:
        labels = torch.randint(cfg["classes"], (a.batch,))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)
        model.train()

        def step():
            opt.zero_grad()
            F.cross_entropy(model(images), labels, label_smoothing=0.1).backward()
            opt.step()
    ms = timed(step, a.warmup, a.repeats)
    out.update(preset=a.preset, batch=a.batch, mlp_only=sorted(mlp_only), latency_ms=ms,
               images_per_s=1000.0 * a.batch / ms)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
