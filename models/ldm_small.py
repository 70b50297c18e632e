"""The bundled default model: a small KL autoencoder (f=4, 3 latent channels) and an
eps-prediction UNet on its 3 x H/4 x W/4 latent. Written for the emoji data set at 64x64
(latent 3x16x16) but fully convolutional, so the same code serves 128x128.

Kept TorchScript-traceable: no shape-dependent Python control flow in forward().
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class GroupNorm32(nn.GroupNorm):
    """GroupNorm computed in float32 (bf16 autocast training fails in torch 1.13 otherwise)."""

    def forward(self, x):
        return super().forward(x.float())


def norm(ch):
    return GroupNorm32(min(8, ch), ch, eps=1e-6)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb=0):
        super().__init__()
        self.norm1 = norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout) if temb else None
        self.norm2 = norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.temb is not None and emb is not None:
            h = h + self.temb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class Attention(nn.Module):
    """Single-head spatial self-attention (used at the low resolutions only)."""

    def __init__(self, ch):
        super().__init__()
        self.norm = norm(ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.out = nn.Conv2d(ch, ch, 1)
        self.scale = 1.0 / math.sqrt(ch)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        a = torch.softmax(torch.einsum("bci,bcj->bij", q, k) * self.scale, dim=-1)
        o = torch.einsum("bij,bcj->bci", a, v).reshape(b, c, h, w)
        return x + self.out(o)


class Encoder(nn.Module):
    """x in [-1,1], B x 3 x H x W  ->  (mean, logvar), each B x zc x H/4 x W/4."""

    def __init__(self, ch=32, mult=(1, 2, 2), zc=3):
        super().__init__()
        chs = [ch * m for m in mult]
        self.conv_in = nn.Conv2d(3, chs[0], 3, padding=1)
        blocks = []
        cin = chs[0]
        for i, c in enumerate(chs):
            blocks.append(ResBlock(cin, c))
            cin = c
            if i < len(chs) - 1:
                blocks.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        blocks.append(ResBlock(cin, cin))
        self.blocks = nn.Sequential(*blocks)
        self.norm_out = norm(cin)
        self.conv_out = nn.Conv2d(cin, 2 * zc, 3, padding=1)

    def forward(self, x):
        h = self.blocks(self.conv_in(x))
        mean, logvar = self.conv_out(F.silu(self.norm_out(h))).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)


class Decoder(nn.Module):
    """z, B x zc x h x w  ->  x in (about) [-1,1], B x 3 x 4h x 4w."""

    def __init__(self, ch=32, mult=(1, 2, 2), zc=3):
        super().__init__()
        chs = [ch * m for m in mult][::-1]
        self.conv_in = nn.Conv2d(zc, chs[0], 3, padding=1)
        blocks = [ResBlock(chs[0], chs[0])]
        cin = chs[0]
        for i, c in enumerate(chs):
            blocks.append(ResBlock(cin, c))
            cin = c
            if i < len(chs) - 1:
                # The conv after upsampling already narrows to the next level's width:
                # full-resolution layers stay thin (they dominate decoder backward cost).
                blocks.append(nn.Upsample(scale_factor=2.0, mode="nearest"))
                blocks.append(nn.Conv2d(c, chs[i + 1], 3, padding=1))
                cin = chs[i + 1]
        self.blocks = nn.Sequential(*blocks)
        self.norm_out = norm(cin)
        self.conv_out = nn.Conv2d(cin, 3, 3, padding=1)

    def forward(self, z):
        return self.conv_out(F.silu(self.norm_out(self.blocks(self.conv_in(z)))))


class AutoencoderKL(nn.Module):
    def __init__(self, ch=24, mult=(1, 2, 4), zc=3):
        super().__init__()
        self.encoder = Encoder(ch, mult, zc)
        self.decoder = Decoder(ch, mult, zc)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class UNet(nn.Module):
    """eps-prediction UNet: forward(z: B x zc x h x w, t: B (float timestep index)) -> eps."""

    def __init__(self, zc=3, ch=48, mult=(1, 2, 2), attn_levels=(1, 2), num_res=1):
        super().__init__()
        self.ch = ch
        temb = 4 * ch
        self.temb = nn.Sequential(nn.Linear(ch, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.conv_in = nn.Conv2d(zc, ch, 3, padding=1)
        self.down = nn.ModuleList()
        skips = [ch]
        cin = ch
        for lvl, m in enumerate(mult):
            for _ in range(num_res):
                self.down.append(nn.ModuleList([ResBlock(cin, ch * m, temb),
                                                Attention(ch * m) if lvl in attn_levels else nn.Identity()]))
                cin = ch * m
                skips.append(cin)
            if lvl < len(mult) - 1:
                self.down.append(nn.ModuleList([nn.Conv2d(cin, cin, 3, stride=2, padding=1)]))
                skips.append(cin)
        self.mid1 = ResBlock(cin, cin, temb)
        self.mid_attn = Attention(cin)
        self.mid2 = ResBlock(cin, cin, temb)
        self.up = nn.ModuleList()
        for lvl, m in reversed(list(enumerate(mult))):
            for i in range(num_res + 1):
                s = skips.pop()
                self.up.append(nn.ModuleList([ResBlock(cin + s, ch * m, temb),
                                              Attention(ch * m) if lvl in attn_levels else nn.Identity()]))
                cin = ch * m
            if lvl > 0:
                self.up.append(nn.ModuleList([nn.Upsample(scale_factor=2.0, mode="nearest"),
                                              nn.Conv2d(cin, cin, 3, padding=1)]))
        self.norm_out = norm(cin)
        self.conv_out = nn.Conv2d(cin, zc, 3, padding=1)

    def forward(self, z, t):
        emb = self.temb(timestep_embedding(t, self.ch))
        h = self.conv_in(z)
        hs = [h]
        for blk in self.down:
            if len(blk) == 2:
                h = blk[1](blk[0](h, emb))
            else:
                h = blk[0](h)
            hs.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, emb)), emb)
        for blk in self.up:
            if isinstance(blk[0], ResBlock):
                h = blk[1](blk[0](torch.cat([h, hs.pop()], dim=1), emb))
            else:
                h = blk[1](blk[0](h))
        return self.conv_out(F.silu(self.norm_out(h)))


def linear_betas(T=1000, beta_start=0.0015, beta_end=0.0195):
    # LDM's "linear" schedule is linear in sqrt(beta).
    return torch.linspace(beta_start ** 0.5, beta_end ** 0.5, T, dtype=torch.float64) ** 2


def count_params(m):
    return sum(p.numel() for p in m.parameters())
