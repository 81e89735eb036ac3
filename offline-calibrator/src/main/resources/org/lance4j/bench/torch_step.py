#!/usr/bin/env python3
"""The PyTorch side of `./lance4j bench step`: the same network and training step, timed on request.

Builds an nn.Module from a lance4j model spec (the text ModelSpec.toText() writes), so that both sides run
the identical architecture, and answers commands on stdin, one line each:
    run K   -> K training steps; prints one line "fwd bwd opt" in ms per step, steps separated by ';'
    quit
A step is: zero_grad, forward, cross-entropy loss (the forward part); backward; SGD update (lr, momentum,
weight decay as lance4j's). With --train NAMES only those nodes' parameters are trained and BatchNorm uses
its running statistics (lance4j's fine-tuning recipe); otherwise every parameter is trained in train mode.
On start it prints "ready PARAMS TRAINED": the parameter count (checked against lance4j's) and how many
are trained. For benchmarks only; never a runtime dependency (Debian: python3-torch, run /usr/bin/python3).
"""
import argparse
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def parse_spec(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if not lines[0].startswith("lance4j-spec"):
        raise SystemExit("torch_step: not a lance4j spec: " + lines[0])
    shape, nodes = None, []
    for line in lines[1:]:
        if line.startswith("name "):
            continue
        if line.startswith("input "):
            shape = tuple(int(v) for v in line.split()[1:])
            continue
        lhs, rhs = line.split(" = ", 1)
        body, inputs = rhs.split(" : ", 1)
        parts = body.split()
        attrs = dict(p.split("=", 1) for p in parts[1:])
        nodes.append((lhs.strip(), parts[0], attrs, inputs.split()))
    return shape, nodes


class SpecNet(nn.Module):
    def __init__(self, shape, nodes):
        super().__init__()
        self.nodes = nodes
        self.mods = nn.ModuleDict()
        channels = {"input": shape[0]}
        consumers = {}
        for name, op, a, ins in nodes:
            for i in ins:
                consumers[i] = consumers.get(i, 0) + 1
        self.inplace = {}
        for name, op, a, ins in nodes:
            c = channels.get(ins[0])
            key = self.key(name)
            if op == "conv":
                self.mods[key] = nn.Conv2d(c, int(a["out"]), int(a["k"]), int(a["s"]), int(a["p"]), groups=int(a["g"]),
                                           bias=a["bias"] == "1")
                channels[name] = int(a["out"])
            elif op == "bn":
                self.mods[key] = nn.BatchNorm2d(c, eps=float(a["eps"]), momentum=float(a["momentum"]), affine=a["affine"] == "1",
                                                track_running_stats=a["track"] == "1")
                channels[name] = c
            elif op == "linear":
                self.mods[key] = nn.LazyLinear(int(a["out"]), bias=a["bias"] == "1")
                channels[name] = int(a["out"])
            else:
                channels[name] = c
            # an activation may overwrite its input when nothing else reads it (torchvision's inplace=True)
            self.inplace[name] = consumers.get(ins[0], 0) == 1 and ins[0] != "input"

    @staticmethod
    def key(name):
        return name.replace(".", "_")

    def forward(self, x):
        v = {"input": x}
        for name, op, a, ins in self.nodes:
            i = v[ins[0]]
            if op in ("conv", "bn"):
                y = self.mods[self.key(name)](i)
            elif op == "linear":
                y = self.mods[self.key(name)](i.flatten(1) if i.dim() > 2 else i)
            elif op == "relu":
                y = F.relu(i, inplace=self.inplace[name])
            elif op == "relu6":
                y = F.relu6(i, inplace=self.inplace[name])
            elif op == "add":
                y = i + v[ins[1]]
            elif op == "maxpool":
                y = F.max_pool2d(i, int(a["k"]), int(a["s"]), int(a["p"]))
            elif op == "avgpool":
                y = F.avg_pool2d(i, int(a["k"]), int(a["s"]), int(a["p"]))
            elif op == "gap":
                y = i.mean((2, 3))
            elif op == "flatten":
                y = i.flatten(1)
            elif op == "dropout":
                y = F.dropout(i, float(a["p"]), self.training)
            else:
                raise SystemExit("torch_step: no PyTorch layer for op " + op)
            v[name] = y
        return v[self.nodes[-1][0]]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--spec", required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--train", default="")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=233)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    shape, nodes = parse_spec(open(args.spec).read())
    net = SpecNet(shape, nodes)
    x = torch.randn(args.batch, *shape)
    y = torch.randint(0, args.classes, (args.batch,))
    with torch.no_grad():
        net(x)   # materializes the lazy linear layers
    params = sum(t.numel() for t in net.parameters())
    fine_tune = args.train != ""
    if fine_tune:
        names = set(SpecNet.key(n) for n in args.train.split(","))
        for mname, m in net.mods.items():
            for t in m.parameters():
                t.requires_grad_(mname in names)
    trained = [t for t in net.parameters() if t.requires_grad]
    opt = torch.optim.SGD(trained, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)

    def set_mode():
        net.train()
        if fine_tune:   # the fine-tuning recipe: BN uses (and keeps) its running statistics
            for m in net.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()

    set_mode()
    print("ready %d %d" % (params, sum(t.numel() for t in trained)), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        if cmd[0] != "run":
            print("error unknown command " + line.strip(), flush=True)
            continue
        out = []
        for _ in range(int(cmd[1])):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(x), y)
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            opt.step()
            t3 = time.perf_counter()
            out.append("%.4f %.4f %.4f" % ((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3))
        print(";".join(out), flush=True)


if __name__ == "__main__":
    main()
