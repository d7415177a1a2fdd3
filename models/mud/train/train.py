#!/usr/bin/python3
"""Trains sitegate's small mud classifier on region patches and exports it to ONNX.

Reproducible on the CPU in a few minutes with Debian 12's python3-torch and python3-numpy
(apt-get install python3-torch python3-numpy); see models/mud/train/README.md for the recipe.

    /usr/bin/python3 models/mud/train/train.py TRAIN.bin VAL.bin OUT_DIR [EPOCHS]
"""
import hashlib
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

SEED = 7
MEAN, SCALE = 127.5, 1 / 127.5


def load(path):
    with open(path, "rb") as f:
        n, w, h = struct.unpack("<3I", f.read(12))
        rec = 2 + w * h * 3
        raw = np.frombuffer(f.read(n * rec), dtype=np.uint8).reshape(n, rec)
    labels = raw[:, 0].astype(np.int64)
    conds = raw[:, 1].astype(np.int64)
    x = raw[:, 2:].reshape(n, h, w, 3).transpose(0, 3, 1, 2).astype(np.float32)
    return (x - MEAN) * SCALE, labels, conds, w, h


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 48, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(48, 64, 3, padding=1), nn.ReLU(),
            # The strongest evidence anywhere in the region: mud on one wheel is enough.
            nn.AdaptiveMaxPool2d(1),
        )
        self.head = nn.Linear(64, 2)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


def main():
    train_path, val_path, out_dir = sys.argv[1:4]
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)
    x, y, _, w, h = load(train_path)
    vx, vy, vc, _, _ = load(val_path)
    x, y, vx = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(vx)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(SEED)
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 18
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            xb = x[idx]
            # Augment: mirror, brightness and contrast, so lighting is not a shortcut.
            if torch.rand(1, generator=gen).item() < 0.5:
                xb = torch.flip(xb, dims=[3])
            gain = 0.6 + 0.8 * torch.rand(len(xb), 1, 1, 1, generator=gen)
            bias = 0.3 * (torch.rand(len(xb), 1, 1, 1, generator=gen) - 0.5)
            # Colour balance per channel, and some pictures in grey, so a gate's light and
            # white balance are not a shortcut either.
            cgain = 0.85 + 0.3 * torch.rand(len(xb), 3, 1, 1, generator=gen)
            xb = (xb + 1) * cgain - 1
            grey = torch.rand(len(xb), generator=gen) < 0.15
            if grey.any():
                xb[grey] = xb[grey].mean(dim=1, keepdim=True).expand(-1, 3, -1, -1)
            xb = torch.clamp(xb * gain + bias, -1, 1)
            loss = nn.functional.cross_entropy(net(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        net.eval()
        with torch.no_grad():
            pred = net(vx).argmax(1).numpy()
        print(f"epoch {epoch}: loss {total / len(x):.4f} val acc {(pred == vy).mean():.4f}", flush=True)
    net.eval()
    with torch.no_grad():
        prob = torch.softmax(net(vx), 1)[:, 1].numpy()
    for c in sorted(set(vc.tolist())):
        m = vc == c
        print(f"condition {c}: val acc {((prob[m] >= 0.5) == vy[m]).mean():.4f}")
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "mud-cnn.onnx")
    torch.onnx.export(net, torch.zeros(1, 3, h, w), onnx_path, opset_version=11,
                      input_names=["patch"], output_names=["logits"])
    with open(onnx_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(out_dir, "mud-cnn.yaml"), "w") as f:
        f.write(f"""# sitegate mud classifier: region patches in, [clean, muddy] logits out.
# Trained by models/mud/train/train.py (seed {SEED}) on generated tuning frames.
file: mud-cnn.onnx
sha256: {digest}
input: {{width: {w}, height: {h}, order: rgb}}
mean: [{MEAN}, {MEAN}, {MEAN}]
scale: {SCALE!r}
labels: [clean, muddy]
positive: muddy
threshold: 0.5
""")
    print("wrote", onnx_path, os.path.getsize(onnx_path), "bytes, sha256", digest)


if __name__ == "__main__":
    main()
