#!/usr/bin/env python3
"""Mean attention distance and attention entropy of every head, computed independently of MLPify
in python3-torch, and compared with `mlpify attention --distance --json`.

    /usr/bin/python3 scripts/attention_crosscheck.py MODEL.mlpify MLPIFY.json [IDX_IMAGES.gz]

MODEL.mlpify is an MLPify model file, which torch.load reads (its timm-layout state dict and its
metadata: configuration, normalisation, block states); MLPIFY.json is the statistics of the whole Fashion-MNIST test split (`--images 10000 --split
test`), whose mean over images does not depend on the order MLPify draws them in. The forward is
written out here as timm's VisionTransformer computes it (pre-norm blocks, qkv, exact GELU); the
statistics are the ones resources/docs/attention.md defines. Prints the largest differences and
exits 1 when one is over 1e-4 (float32 through two implementations and 10,000 images).
"""
import gzip
import json
import math
import sys

import torch


def idx_images(path):
    raw = gzip.open(path).read()
    n, rows, cols = int.from_bytes(raw[4:8], "big"), int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
    return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(n, 1, rows, cols)


def main():
    saved = torch.load(sys.argv[1])
    state, meta = saved["state_dict"], json.loads(saved["mlpify_meta"])
    theirs = json.load(open(sys.argv[2]))
    images = idx_images(sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    cfg = meta["config"]
    dim, heads, patch, depth = cfg["embed_dim"], cfg["num_heads"], cfg["patch_size"], cfg["depth"]
    grid = cfg["image_size"] // patch
    mean = torch.tensor(meta["normalization"]["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(meta["normalization"]["std"]).view(1, -1, 1, 1)
    removed = {i for i, b in enumerate(meta["blocks"]) if b["attention"] == "removed"}
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (dim,), state[p + ".weight"], state[p + ".bias"], cfg["ln_eps"])
    lin = lambda x, p: x @ state[p + ".weight"].T + state[p + ".bias"]
    rows, cols = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
    centres = torch.stack([rows.flatten(), cols.flatten()], 1).double() * patch
    distance = torch.cdist(centres, centres)  # [P, P] pixels
    sums = {}
    with torch.no_grad():
        for chunk in images.split(500):
            x = (chunk.float() / 255 - mean) / std
            b = x.shape[0]
            t = x.reshape(b, 1, grid, patch, grid, patch).permute(0, 2, 4, 1, 3, 5).reshape(b, grid * grid, -1)
            t = t @ state["patch_embed.proj.weight"].flatten(1).T + state["patch_embed.proj.bias"]
            t = torch.cat([state["cls_token"].expand(b, -1, -1), t], 1) + state["pos_embed"]
            for i in range(depth):
                p = f"blocks.{i}"
                if i in removed:
                    t = 2 * t
                else:
                    qkv = lin(ln(t, p + ".norm1"), p + ".attn.qkv").reshape(b, -1, 3, heads, dim // heads)
                    q, k, v = qkv.permute(2, 0, 3, 1, 4)
                    a = (q @ k.transpose(-1, -2) / math.sqrt(dim // heads)).softmax(-1)
                    w = a[:, :, 1:, 1:].double()
                    w = w / w.sum(-1, keepdim=True)
                    d = (w * distance).sum(-1).mean(-1)  # [b, heads]
                    e = -(a.double() * a.double().clamp_min(1e-300).log()).sum(-1).mean(-1)
                    s = sums.setdefault(i, [torch.zeros(heads, dtype=torch.double), torch.zeros(heads, dtype=torch.double)])
                    s[0] += d.sum(0)
                    s[1] += e.sum(0)
                    t = t + lin((a @ v).transpose(1, 2).reshape(b, -1, dim), p + ".attn.proj")
                h = torch.nn.functional.gelu(lin(ln(t, p + ".norm2"), p + ".mlp.fc1"))
                t = t + lin(h, p + ".mlp.fc2")
    n = images.shape[0]
    worst = 0.0
    for block in theirs["blocks"]:
        i = block["block"]
        mine_d, mine_e = (sums[i][0] / n).tolist(), (sums[i][1] / n).tolist()
        for h in range(heads):
            dd = abs(mine_d[h] - block["distance_px"]["mean"][h]) / max(1.0, abs(mine_d[h]))
            de = abs(mine_e[h] - block["entropy_nats"]["mean"][h]) / max(1.0, abs(mine_e[h]))
            worst = max(worst, dd, de)
        print(f"block {i:2d}: distance (px) python {sum(mine_d) / heads:7.4f} mlpify {block['mean_distance_px']:7.4f}; "
              f"entropy python {sum(mine_e) / heads:.5f} mlpify {block['mean_entropy_nats']:.5f}")
    print(f"largest relative difference over every head: {worst:.2e} ({n} images)")
    return 0 if worst < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
