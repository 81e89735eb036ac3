#!/usr/bin/env python3
"""PyTorch twin of `./lance4j pretrain --model smallcnn --data fmnist`, for side-by-side accuracy.

Same architecture (5 × conv3x3-BN-ReLU of 16, 32/s2, 32, 64/s2, 64 channels, flatten, linear), same
initialization scheme (PyTorch defaults, which lance4j reproduces), same data (Debian's
dataset-fashion-mnist IDX files, normalized with the training set's mean and std), same recipe
(SGD lr 0.05, momentum 0.9, weight decay 5e-4, cosine per step to 0, batch 64, last partial batch
dropped, no augmentation), same evaluation (eval-mode BN on the whole test split).

    /usr/bin/python3 tools/pytorch_pretrain.py [--epochs 3] [--threads 1] [--seed 233]
"""
import argparse
import gzip
import math
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DIR = "/usr/share/datasets/fashion-mnist"


def idx(images, labels):
    with gzip.open(images) as f:
        _, n, h, w = struct.unpack(">iiii", f.read(16))
        x = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(n, 1, h, w)
    with gzip.open(labels) as f:
        struct.unpack(">ii", f.read(8))
        y = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).long()
    return x, y


class SmallCnn(nn.Module):
    def __init__(self, c=1, classes=10, size=28):
        super().__init__()
        chans, strides = [16, 32, 32, 64, 64], [1, 2, 1, 2, 1]
        layers, inp = [], c
        for ch, st in zip(chans, strides):
            layers += [nn.Conv2d(inp, ch, 3, st, 1, bias=False), nn.BatchNorm2d(ch), nn.ReLU()]
            inp = ch
            size = (size + 2 - 3) // st + 1
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(64 * size * size, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=233)
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    xtr, ytr = idx(f"{DIR}/train-images-idx3-ubyte.gz", f"{DIR}/train-labels-idx1-ubyte.gz")
    xte, yte = idx(f"{DIR}/t10k-images-idx3-ubyte.gz", f"{DIR}/t10k-labels-idx1-ubyte.gz")
    xtr = xtr.float() / 255
    xte = xte.float() / 255
    mean, std = xtr.mean().item(), xtr.std(unbiased=False).item()
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    model = SmallCnn()
    steps = a.epochs * (len(xtr) // a.batch)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (1 + math.cos(math.pi * min(t, steps) / steps)) / 2)
    t0 = time.time()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for b in range(len(xtr) // a.batch):
            i = perm[b * a.batch:(b + 1) * a.batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(xtr[i]), ytr[i])
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            acc = sum((model(xte[j:j + 500]).argmax(1) == yte[j:j + 500]).sum().item() for j in range(0, len(xte), 500)) / len(xte)
        print(f"pytorch epoch {epoch + 1}/{a.epochs}: test accuracy {acc:.4f}, {time.time() - t0:.0f} s", flush=True)
    print(f"pytorch {torch.__version__}, {a.threads} thread(s): test accuracy {acc:.4f} after {a.epochs} epochs in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
