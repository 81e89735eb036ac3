#!/usr/bin/env python3
"""Writes the golden training state that GoldenStateTest compares lance4j against.

A small residual CNN with BatchNorm, a depthwise convolution, ReLU6, max pooling, global average
pooling and a linear head is built in PyTorch with the same architecture as SPEC below (lance4j's
model-spec text). From one seeded initialization the script records:

  * train/: PyTorch train mode, every parameter trained: logits, loss, every parameter gradient,
    then 5 steps of SGD (lr 0.05, momentum 0.9, weight decay 1e-4, global-norm clipping at 2.0) on
    the same batch: the loss before each step and every parameter and running statistic after them;
  * ft/: the fine-tuning recipe: BN frozen (eval), only the last 2 convolutions with groups == 1
    and the head trained: logits, loss and their gradients (the frozen depthwise conv and the frozen
    BNs between them pass gradients through).

Run with Debian's PyTorch (python3-torch), from the repository root:
    /usr/bin/python3 tools/make_golden_state.py device/src/test/resources/golden/golden-state-v1.bin
Format (big-endian, read by java.io.DataInputStream): magic b"L4JGOLD1", int32 version, UTF-8
string spec (int32 length + bytes), int32 tensor count, then per tensor: name string, int32 rank,
int32 dims, float32 values.
"""
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

VERSION = 1
B, C, H, W, CLASSES = 4, 3, 8, 8, 5
STEPS = 5
LR, MOMENTUM, WD, CLIP = 0.05, 0.9, 1e-4, 2.0

SPEC = """lance4j-spec 1
name golden-resnet
input 3 8 8
conv1 = conv out=8 k=3 s=1 p=1 g=1 bias=0 : input
bn1 = bn eps=1.0E-5 momentum=0.1 affine=1 track=1 : conv1
relu1 = relu : bn1
conv2 = conv out=8 k=3 s=1 p=1 g=1 bias=0 : relu1
bn2 = bn eps=1.0E-5 momentum=0.1 affine=1 track=1 : conv2
relu2 = relu : bn2
conv3 = conv out=8 k=3 s=1 p=1 g=1 bias=0 : relu2
bn3 = bn eps=1.0E-5 momentum=0.1 affine=1 track=1 : conv3
add1 = add : bn3 relu1
relu3 = relu : add1
dw = conv out=8 k=3 s=2 p=1 g=8 bias=0 : relu3
bn4 = bn eps=1.0E-5 momentum=0.1 affine=1 track=1 : dw
relu4 = relu6 : bn4
conv4 = conv out=16 k=1 s=1 p=0 g=1 bias=1 : relu4
bn5 = bn eps=1.0E-5 momentum=0.1 affine=1 track=1 : conv4
relu5 = relu : bn5
pool = maxpool k=2 s=2 p=0 : relu5
gap = gap : pool
fc = linear out=5 bias=1 : gap
"""


class GoldenResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.conv3 = nn.Conv2d(8, 8, 3, 1, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, 2, 1, groups=8, bias=False)
        self.bn4 = nn.BatchNorm2d(8)
        self.conv4 = nn.Conv2d(8, 16, 1, 1, 0, bias=True)
        self.bn5 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        r1 = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(r1)))
        y = F.relu(self.bn3(self.conv3(y)) + r1)
        y = F.relu6(self.bn4(self.dw(y)))
        y = F.relu(self.bn5(self.conv4(y)))
        y = F.max_pool2d(y, 2, 2)
        y = y.mean(dim=(2, 3))
        return self.fc(y)


def state_tensors(model, prefix):
    out = []
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        out.append((prefix + name, t.detach().clone()))
    return out


def main(path):
    torch.manual_seed(233)
    torch.set_num_threads(1)
    model = GoldenResNet()
    # Non-trivial BN state so that eval-mode normalization is really exercised.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(B, C, H, W)
    labels = torch.randint(0, CLASSES, (B,))
    tensors = [("input", x), ("labels", labels.float())]
    tensors += state_tensors(model, "init/")

    # --- all parameters, train mode, 5 SGD steps
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WD)
    losses = []
    for step in range(STEPS):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        if step == 0:
            tensors.append(("train/logits", logits.detach().clone()))
            tensors.append(("train/loss", loss.detach().reshape(1)))
            for n, p in model.named_parameters():
                tensors.append(("train/grad/" + n, p.grad.detach().clone()))
        losses.append(loss.item())
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
    tensors.append(("train/losses", torch.tensor(losses)))
    tensors += state_tensors(model, "train/final/")

    # --- fine-tuning recipe: BN frozen, last 2 regular convs + head trained
    model.load_state_dict(init)
    model.train()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    trained = ("conv3.", "conv4.", "fc.")
    for n, p in model.named_parameters():
        p.requires_grad_(n.startswith(trained))
        p.grad = None
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    tensors.append(("ft/logits", logits.detach().clone()))
    tensors.append(("ft/loss", loss.detach().reshape(1)))
    for n, p in model.named_parameters():
        if p.requires_grad:
            tensors.append(("ft/grad/" + n, p.grad.detach().clone()))

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"L4JGOLD1")
        f.write(struct.pack(">i", VERSION))
        write_str(f, SPEC)
        f.write(struct.pack(">i", len(tensors)))
        for name, t in tensors:
            t = t.detach().float().contiguous()
            write_str(f, name)
            f.write(struct.pack(">i", t.dim()))
            for d in t.shape:
                f.write(struct.pack(">i", d))
            f.write(struct.pack(">%df" % t.numel(), *t.flatten().tolist()))
    import os
    os.replace(tmp, path)
    print("wrote %d tensors to %s (torch %s)" % (len(tensors), path, torch.__version__))


def write_str(f, s):
    b = s.encode("utf-8")
    f.write(struct.pack(">i", len(b)))
    f.write(b)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_golden_state.py OUT.bin")
    main(sys.argv[1])
