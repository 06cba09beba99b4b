#!/usr/bin/env python3
"""The PyTorch side of scripts/gpu-check.sh, on the same GPU in the same run.

  gpu_peer_bench.py --batch 64 256
      DeiT-B inference (timm's deit_base_patch16_224, random weights; scripts/peer_bench.py's
      architecture where timm is missing) in float32 eager, bf16 autocast eager, and torch.compile;
      CUDA-synchronised medians. One JSON line per measurement.
  gpu_peer_bench.py --write-cifar DIR --images N
      Fashion-MNIST's first N training and N/5 test images (MLPIFY_FASHION_MNIST_DIR or Debian's
      folder) written as CIFAR-10 binary batches: 28x28 grey padded to 32x32, copied to 3 channels,
      for the 3-channel presets (NOSE and dilution on DeiT in gpu-check.sh).
"""
import argparse
import gzip
import json
import os
import statistics
import sys
import time

import torch


def synchronise():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(step, warmup, repeats):
    for _ in range(warmup):
        step()
    synchronise()
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        synchronise()
        ms.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(ms)


def deit_base():
    try:
        import timm

        return timm.create_model("deit_base_patch16_224", pretrained=False), "timm " + timm.__version__
    except ImportError:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import peer_bench

        return peer_bench.ViT(**peer_bench.PRESETS["deit_base_patch16_224"]), "peer_bench.py's ViT"


def bench(batches, warmup, repeats):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, source = deit_base()
    model = model.to(device).eval()
    variants = [("eager float32", model, False), ("eager bf16 autocast", model, True)]
    if hasattr(torch, "compile") and device == "cuda":
        variants.append(("torch.compile float32", torch.compile(model), False))
    for batch in batches:
        images = torch.randn(batch, 3, 224, 224, device=device)
        for name, m, bf16 in variants:

            def step():
                with torch.inference_mode(), torch.autocast(device, torch.bfloat16, enabled=bf16):
                    m(images)

            ms = timed(step, warmup, repeats)
            print(json.dumps({"model": "deit_base_patch16_224", "source": source, "torch": torch.__version__,
                              "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
                              "variant": name, "batch": batch, "latency_ms": ms,
                              "images_per_s": 1000.0 * batch / ms}), flush=True)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return data[4 + 4 * dims:], shape


def write_cifar(out, images):
    src = os.environ.get("MLPIFY_FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist"
    os.makedirs(out, exist_ok=True)
    for prefix, files, count in (("train", ["data_batch_%d.bin" % i for i in range(1, 6)], images),
                                 ("t10k", ["test_batch.bin"], max(1, images // 5))):
        pixels, shape = read_idx(os.path.join(src, prefix + "-images-idx3-ubyte.gz"))
        labels, _ = read_idx(os.path.join(src, prefix + "-labels-idx1-ubyte.gz"))
        count = min(count, shape[0])
        records = []
        for i in range(count):
            grey = pixels[i * 784:(i + 1) * 784]
            plane = bytearray(1024)  # 28x28 centred in 32x32, zero border
            for r in range(28):
                plane[(r + 2) * 32 + 2:(r + 2) * 32 + 30] = grey[r * 28:(r + 1) * 28]
            records.append(bytes([labels[i]]) + bytes(plane) * 3)
        per = (len(records) + len(files) - 1) // len(files)
        for k, name in enumerate(files):
            with open(os.path.join(out, name), "wb") as f:
                f.write(b"".join(records[k * per:(k + 1) * per]))
    print(f"wrote {images} training and {max(1, images // 5)} test images to {out} (CIFAR-10 binary layout)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, nargs="+", default=[64])
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--write-cifar")
    p.add_argument("--images", type=int, default=2000)
    a = p.parse_args()
    torch.manual_seed(0)
    if a.write_cifar:
        write_cifar(a.write_cifar, a.images)
    else:
        bench(a.batch, a.warmup, a.repeats)


if __name__ == "__main__":
    main()
