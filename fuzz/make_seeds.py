#!/usr/bin/env python3
"""Writes the small seed inputs of the libFuzzer targets into fuzz/seeds/TARGET/.

    python3 fuzz/make_seeds.py [--checkpoint-harness build-fuzz/fuzz/fuzz_checkpoint]

Plain Python (no torch): the PyTorch zip files are written the way torch.save writes them
(protocol-2 pickle with persistent storage ids, stored zip records), for a ViT far smaller
than any fixture, so that a fuzzer executes thousands of them a second. The real torch.save
files in tests/fixtures/ are added to the working corpus by scripts/fuzz.sh. The training-
state seed comes from the checkpoint harness itself (saveTrainState on a tiny AdamW).
"""
import argparse
import gzip
import io
import json
import os
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"


# --- PyTorch zip checkpoints ---------------------------------------------------------------

class Pickle:
    """Just enough of pickle protocol 2 to write what torch.save writes for a state dict."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")
        self.storages = []  # (key, storage type, raw bytes)

    def str(self, s):
        b = s.encode()
        self.out += b"X" + struct.pack("<I", len(b)) + b

    def int(self, i):
        self.out += b"K" + bytes([i]) if 0 <= i < 256 else b"J" + struct.pack("<i", i)

    def glob(self, module, name):
        self.out += f"c{module}\n{name}\n".encode()

    def tuple(self, items):
        self.out += b"("
        for i in items:
            self.int(i)
        self.out += b"t"

    def tensor(self, shape, data, storage="FloatStorage", fmt="<f"):
        key = str(len(self.storages))
        raw = b"".join(struct.pack(fmt, v) for v in data)
        self.storages.append((key, raw))
        strides, s = [], 1
        for d in reversed(shape):
            strides.insert(0, s)
            s *= d
        self.glob("torch._utils", "_rebuild_tensor_v2")
        self.out += b"(("
        self.str("storage")
        self.glob("torch", storage)
        self.str(key)
        self.str("cpu")
        self.int(len(data))
        self.out += b"tQ"
        self.int(0)
        self.tuple(shape)
        self.tuple(strides)
        self.out += b"\x89"
        self.glob("collections", "OrderedDict")
        self.out += b")Rt" + b"R"

    def dict(self, items, ordered=True):
        """items: list of (key, writer) where writer() emits the value."""
        if ordered:
            self.glob("collections", "OrderedDict")
            self.out += b")R"
        else:
            self.out += b"}"
        self.out += b"("
        for k, write in items:
            self.str(k)
            write()
        self.out += b"u"

    def done(self):
        return bytes(self.out + b".")


def torch_zip(pickle_bytes, storages):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        for key, raw in storages:
            z.writestr(f"archive/data/{key}", raw)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


D, C, P, IMG, H, K = 8, 1, 4, 8, 16, 2  # width, channels, patch, image, MLP, classes: heads = 2


def timm_shapes(distilled=False):
    tokens = 1 + (IMG // P) ** 2 + (1 if distilled else 0)
    s = [("cls_token", [1, 1, D])]
    if distilled:
        s.append(("dist_token", [1, 1, D]))
    s += [("pos_embed", [1, tokens, D]), ("patch_embed.proj.weight", [D, C, P, P]), ("patch_embed.proj.bias", [D]),
          ("blocks.0.norm1.weight", [D]), ("blocks.0.norm1.bias", [D]),
          ("blocks.0.attn.qkv.weight", [3 * D, D]), ("blocks.0.attn.qkv.bias", [3 * D]),
          ("blocks.0.attn.proj.weight", [D, D]), ("blocks.0.attn.proj.bias", [D]),
          ("blocks.0.norm2.weight", [D]), ("blocks.0.norm2.bias", [D]),
          ("blocks.0.mlp.fc1.weight", [H, D]), ("blocks.0.mlp.fc1.bias", [H]),
          ("blocks.0.mlp.fc2.weight", [D, H]), ("blocks.0.mlp.fc2.bias", [D]),
          ("norm.weight", [D]), ("norm.bias", [D]), ("head.weight", [K, D]), ("head.bias", [K])]
    if distilled:
        s += [("head_dist.weight", [K, D]), ("head_dist.bias", [K])]
    return s


TORCHVISION = {"cls_token": "class_token", "pos_embed": "encoder.pos_embedding",
               "patch_embed.proj.weight": "conv_proj.weight", "patch_embed.proj.bias": "conv_proj.bias",
               "blocks.0.norm1.weight": "encoder.layers.encoder_layer_0.ln_1.weight",
               "blocks.0.norm1.bias": "encoder.layers.encoder_layer_0.ln_1.bias",
               "blocks.0.attn.qkv.weight": "encoder.layers.encoder_layer_0.self_attention.in_proj_weight",
               "blocks.0.attn.qkv.bias": "encoder.layers.encoder_layer_0.self_attention.in_proj_bias",
               "blocks.0.attn.proj.weight": "encoder.layers.encoder_layer_0.self_attention.out_proj.weight",
               "blocks.0.attn.proj.bias": "encoder.layers.encoder_layer_0.self_attention.out_proj.bias",
               "blocks.0.norm2.weight": "encoder.layers.encoder_layer_0.ln_2.weight",
               "blocks.0.norm2.bias": "encoder.layers.encoder_layer_0.ln_2.bias",
               "blocks.0.mlp.fc1.weight": "encoder.layers.encoder_layer_0.mlp.0.weight",
               "blocks.0.mlp.fc1.bias": "encoder.layers.encoder_layer_0.mlp.0.bias",
               "blocks.0.mlp.fc2.weight": "encoder.layers.encoder_layer_0.mlp.3.weight",
               "blocks.0.mlp.fc2.bias": "encoder.layers.encoder_layer_0.mlp.3.bias",
               "norm.weight": "encoder.ln.weight", "norm.bias": "encoder.ln.bias",
               "head.weight": "heads.head.weight", "head.bias": "heads.head.bias"}


def values(shape, salt):
    n = 1
    for d in shape:
        n *= d
    return [((i * 7 + salt) % 13 - 6) / 16 for i in range(n)]


def pth(shapes, rename=lambda k: k, nest=None, half=False):
    p = Pickle()
    def entries():
        out = []
        for salt, (name, shape) in enumerate(shapes):
            kind = ("HalfStorage", "<e") if half else ("FloatStorage", "<f")
            out.append((rename(name), lambda s=shape, v=values(shape, salt), k=kind: p.tensor(s, v, *k)))
        return out
    if nest:
        p.dict([("epoch", lambda: p.int(3)), (nest, lambda: p.dict(entries()))], ordered=False)
    else:
        p.dict(entries())
    return torch_zip(p.done(), p.storages)


def mlpify_file():
    shapes = timm_shapes()
    meta = {"format": "mlpify", "version": 2,
            "config": {"name": "seed", "image_size": IMG, "patch_size": P, "in_chans": C, "embed_dim": D,
                       "depth": 1, "num_heads": 2, "mlp_hidden": H, "num_classes": K, "distilled": False,
                       "ln_eps": 1e-6},
            "blocks": [{"attention": "active"}], "normalization": {"mean": [0.5], "std": [0.5]},
            "class_names": ["a", "b"], "training": {"step": 7, "history": []}}
    meta_text = json.dumps(meta, separators=(",", ":"))
    data = [(name, shape, values(shape, salt)) for salt, (name, shape) in enumerate(shapes)]
    crc = zlib.crc32(meta_text.encode())
    for _, _, v in data:
        crc = zlib.crc32(b"".join(struct.pack("<f", x) for x in v), crc)
    p = Pickle()
    weights = [(n, lambda s=s, v=v: p.tensor(s, v)) for n, s, v in data]
    p.dict([("mlpify_meta", lambda: p.str(meta_text)), ("mlpify_crc32", lambda: p.str(str(crc))),
            ("state_dict", lambda: p.dict(weights, ordered=False))], ordered=False)
    return torch_zip(p.done(), p.storages)


# --- other formats -------------------------------------------------------------------------

def safetensors(shapes):
    header, blob = {"__metadata__": {"format": "pt"}}, b""
    for salt, (name, shape) in enumerate(shapes):
        raw = b"".join(struct.pack("<f", v) for v in values(shape, salt))
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    h = json.dumps(header).encode()
    h += b" " * (-(8 + len(h)) % 8)
    return struct.pack("<Q", len(h)) + h + blob


def idx_pair(n, gz):
    images = struct.pack(">IIII", 0x803, n, 28, 28) + bytes((i * 37) % 256 for i in range(n * 28 * 28))
    labels = struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))
    if gz:
        images, labels = gzip.compress(images, mtime=0), gzip.compress(labels, mtime=0)
    return struct.pack("<I", len(images)) + images + labels


def cifar(records, cifar100):
    label = 2 if cifar100 else 1
    out = bytes([1 if cifar100 else 0])
    for r in range(records):
        out += bytes([r % 20, r % 100][:label] if cifar100 else [r % 10]) + bytes((r + i) % 256 for i in range(3072))
    return out


def png(w, h):
    rows = b"".join(b"\x00" + bytes(v for x in range(w) for v in ((x * 40) % 256, (y * 50) % 256, 90))
                    for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def bmp(w, h):
    row = (w * 3 + 3) // 4 * 4
    pixels = b"".join(bytes(v for x in range(w) for v in (x * 30 % 256, y * 60 % 256, 128)) + b"\0" * (row - w * 3)
                      for y in range(h))
    return (b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54) +
            struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0) + pixels)


def ppm(w, h):
    return f"P6\n{w} {h}\n255\n".encode() + bytes((x * y) % 256 for y in range(h) for x in range(w) for _ in range(3))


def entropy_profile():
    blocks = [{"block": b, "state": {"attention": "active"}, "attn": 1.5 - b, "mlp": 0.5, "out": 2.0,
               "attn_spread": 0.1, "mlp_spread": 0.2, "out_spread": 0.3} for b in range(3)]
    blocks[2]["attn"] = None
    blocks[2]["attn_spread"] = None
    blocks[1]["mlp"] = "-inf"
    return {"kind": "entropy_profile", "units": "nats", "settings": {"tokens": "cls", "ddof": 0},
            "provenance": {"model": "default", "calibration": {"data": "fashion-mnist", "images": 100, "seed": 0,
                                                               "split": "train"}},
            "blocks": blocks}


def selection():
    return {"kind": "selection", "method": "nose", "selected": [2, 0], "step_values": [0.5, None],
            "candidates": [[0.5, 0.7, None], [None, 0.9, 1e300]], "head_entropy_full": 3.5, "passes": 5,
            "block_passes": 2, "guess_passes": 1, "settings": {"ratio": 0.5}}


def spectrum():
    return {"kind": "spectrum", "model": "default", "grid": 7, "settings": {"images": 16},
            "blocks": [{"block": 0, "radius": [0, 0.25, 0.5], "dlogA": [0.0, -1.5, -3.0]},
                       {"block": 1, "radius": [0, 0.5], "dlogA": [0.0, -1.0]}]}


def project():
    return {"kind": "mlpify-project", "model": "default", "data": "fashion-mnist", "method": "nose",
            "analysis": {"images": 100, "tokens": "cls", "ratio": 0.5},
            "training": {"remove": [1, 2], "epochs": 1, "dilution_epochs": 0.5, "lr": 5e-4, "batch": 32,
                         "train_limit": 600, "schedule": "linear", "distill": False, "augment": False,
                         "device": "cpu", "out": "slim.mlpify", "processes": 1},
            "slimmed_model": "slim.mlpify",
            "results": {"entropy_profile": entropy_profile(), "selection": selection(), "spectrum": spectrum(),
                        "compare": [{"name": "original", "top1": 0.9, "parameters": 343114.0,
                                     "gflops_per_image": 0.02, "images_per_s": 400.0, "run_memory_mib": 80.0}],
                        "training_curves": {"total_steps": 10, "steps": {"rows": [[1, 2.3, 1.0, 300.0]]},
                                            "epochs": {"rows": [[1, 0.5, 0.6, 0.0]]}}}}


def write(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint-harness", help="built fuzz_checkpoint, to write the training-state seed")
    args = ap.parse_args()
    shapes = timm_shapes()
    write("pth", "timm.pth", pth(shapes))
    write("pth", "timm_half_nested.pth", pth(shapes, lambda k: "module." + k, nest="model", half=True))
    write("pth", "distilled.pth", pth(timm_shapes(distilled=True)))
    write("pth", "torchvision.pth", pth(shapes, lambda k: TORCHVISION[k]))
    write("mlpify", "tiny.mlpify", mlpify_file())
    write("safetensors", "timm.safetensors", safetensors(shapes))
    write("safetensors", "torchvision.safetensors",
          safetensors([(TORCHVISION[n], s) for n, s in shapes]))
    write("idx", "raw", idx_pair(3, gz=False))
    write("idx", "gzip", idx_pair(3, gz=True))
    write("cifar", "cifar10", cifar(2, cifar100=False))
    write("cifar", "cifar100", cifar(2, cifar100=True))
    write("image", "png", b"\x00" + png(5, 3))
    write("image", "bmp", b"\x02" + bmp(3, 4))
    write("image", "ppm", b"\x05" + ppm(4, 2))
    jpeg = subprocess.run(["convert", "-size", "6x5", "gradient:red-blue", "-quality", "50", "-strip", "jpg:-"],
                          capture_output=True)  # ImageMagick (install-deps.sh); no JPEG encoder in plain Python
    if jpeg.returncode == 0:
        write("image", "jpeg", b"\x01" + jpeg.stdout)
    for name, j in [("entropy", entropy_profile()), ("selection", selection()), ("spectrum", spectrum())]:
        write("analysis_json", name + ".json", json.dumps(j))
    write("project", "session.mlpify-project", json.dumps(project(), indent=1))
    if args.checkpoint_harness:
        SEEDS.joinpath("checkpoint").mkdir(parents=True, exist_ok=True)
        subprocess.run([args.checkpoint_harness], check=True,
                       env=dict(os.environ, MLPIFY_FUZZ_WRITE_SEED=str(SEEDS / "checkpoint" / "adamw.state")))


if __name__ == "__main__":
    main()
