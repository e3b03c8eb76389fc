"""The PyTorch DINO training step of DinoStepBenchmark, through Debian's python3-torch, in images/s.

Same model and step as the JMH benchmark: ViT-tiny (192 wide, 12 blocks, 3 heads, MLP 4x, pre-norm,
LayerNorm eps 1e-6, drop-path 0.1 on the student), patch 4, 2 global crops of 32 px and 6 local crops
of 16 px (position embedding interpolated bicubically, as the reference), batch 32; DINO head
192 -> 2048 -> 2048 -> 256, L2-normalised, weight-normalised last layer to 4096 with its gain fixed;
teacher forward on the global crops, student forward per resolution, DINO loss (student temperature
0.1, teacher 0.04, centre), backward, per-parameter clipping at 3, AdamW (weight decay 0.04 on
weights only), EMA teacher and centre update. Not a project dependency (benchmarks/peer/run.sh).
"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DIM, DEPTH, HEADS, PATCH, GLOBAL, LOCAL, LOCALS, BATCH = 192, 12, 3, 4, 32, 16, 6, 32
OUT, HIDDEN, BOTTLENECK = 4096, 2048, 256


class DropPath(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = x.new_empty(x.shape[0], *([1] * (x.dim() - 1))).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class Block(nn.Module):
    def __init__(self, drop_path):
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM, eps=1e-6)
        self.qkv = nn.Linear(DIM, 3 * DIM)
        self.proj = nn.Linear(DIM, DIM)
        self.norm2 = nn.LayerNorm(DIM, eps=1e-6)
        self.fc1 = nn.Linear(DIM, 4 * DIM)
        self.fc2 = nn.Linear(4 * DIM, DIM)
        self.drop_path = DropPath(drop_path)

    def attention(self, x):
        b, n, _ = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, HEADS, DIM // HEADS).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)) * (DIM // HEADS) ** -0.5
        return self.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(b, n, DIM))

    def forward(self, x):
        x = x + self.drop_path(self.attention(self.norm1(x)))
        return x + self.drop_path(self.fc2(F.gelu(self.fc1(self.norm2(x)))))


class ViT(nn.Module):
    def __init__(self, drop_path):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, DIM, PATCH, PATCH)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + (GLOBAL // PATCH) ** 2, DIM) * 0.02)
        self.blocks = nn.ModuleList([Block(drop_path * i / (DEPTH - 1)) for i in range(DEPTH)])
        self.norm = nn.LayerNorm(DIM, eps=1e-6)

    def pos(self, side):
        grid = GLOBAL // PATCH
        if side == grid:
            return self.pos_embed
        patch = self.pos_embed[:, 1:].reshape(1, grid, grid, DIM).permute(0, 3, 1, 2)
        patch = F.interpolate(patch, size=(side, side), mode="bicubic", align_corners=False)
        return torch.cat([self.pos_embed[:, :1], patch.permute(0, 2, 3, 1).reshape(1, side * side, DIM)], 1)

    def forward(self, x):
        t = self.patch_embed(x)
        side = t.shape[-1]
        t = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), t.flatten(2).transpose(1, 2)], 1) + self.pos(side)
        for blk in self.blocks:
            t = blk(t)
        return self.norm(t)[:, 0]


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(DIM, HIDDEN), nn.GELU(), nn.Linear(HIDDEN, HIDDEN), nn.GELU(), nn.Linear(HIDDEN, BOTTLENECK))
        self.last_layer = nn.utils.weight_norm(nn.Linear(BOTTLENECK, OUT, bias=False))
        self.last_layer.weight_g.data.fill_(1)
        self.last_layer.weight_g.requires_grad = False

    def forward(self, x):
        return self.last_layer(F.normalize(self.mlp(x), dim=-1))


class Model(nn.Module):
    def __init__(self, drop_path):
        super().__init__()
        self.backbone, self.head = ViT(drop_path), Head()

    def forward(self, crops):
        # one backbone pass per resolution, as the reference's MultiCropWrapper
        feats = [self.backbone(torch.cat(crops[:2])), self.backbone(torch.cat(crops[2:]))] if len(crops) > 2 else [self.backbone(torch.cat(crops))]
        return self.head(torch.cat(feats))


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    student = Model(0.1)
    teacher = Model(0.0)  # no drop-path, as the reference's teacher
    teacher.load_state_dict(student.state_dict())
    for p in teacher.parameters():
        p.requires_grad = False
    decay = [p for n, p in student.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in student.named_parameters() if p.requires_grad and p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.04}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-4)
    center = torch.zeros(1, OUT)
    crops = [torch.randn(BATCH, 3, GLOBAL, GLOBAL) for _ in range(2)] + [torch.randn(BATCH, 3, LOCAL, LOCAL) for _ in range(LOCALS)]

    def step():
        nonlocal center
        with torch.no_grad():
            t_out = teacher(crops[:2])
        s_out = student(crops)
        q = F.softmax((t_out - center) / 0.04, dim=-1).chunk(2)
        s = (s_out / 0.1).chunk(2 + LOCALS)
        loss, terms = 0, 0
        for iq, qq in enumerate(q):
            for v, sv in enumerate(s):
                if v == iq:
                    continue
                loss = loss + torch.sum(-qq * F.log_softmax(sv, dim=-1), dim=-1).mean()
                terms += 1
        loss = loss / terms
        opt.zero_grad()
        loss.backward()
        for p in student.parameters():  # the reference's per-parameter clipping
            if p.grad is not None:
                norm = p.grad.norm(2)
                coef = 3.0 / (norm + 1e-6)
                if coef < 1:
                    p.grad.mul_(coef)
        opt.step()
        with torch.no_grad():
            for ps, pt in zip(student.parameters(), teacher.parameters()):
                pt.mul_(0.996).add_(ps.detach(), alpha=0.004)
            center = center * 0.9 + t_out.mean(0, keepdim=True) * 0.1
        return loss.item()

    for _ in range(3):
        step()
    rates = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        step()
        rates.append(BATCH / (time.perf_counter() - t))
    print(f"torch {torch.__version__}, {threads} threads: DINO step {statistics_median(rates):.2f} images/s median, "
          f"{max(rates):.2f} best, over {len(rates)} steps")


def statistics_median(x):
    s = sorted(x)
    return s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])


if __name__ == "__main__":
    main()
