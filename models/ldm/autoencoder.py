"""Encoder and decoder networks of the latent-diffusion first stage (VQ and KL autoencoders).

Written for PLoRG Studio from the architecture of CompVis/latent-diffusion's
ldm/modules/diffusionmodules/model.py (Encoder, Decoder). Submodule names follow that code
so that a checkpoint's 'first_stage_model.encoder.*' / '.decoder.*' keys load unchanged.
Kept traceable: no shape-dependent Python control flow, no tensor factories in forward().
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def group_norm(channels):
    # The autoencoder uses 32 groups with eps 1e-6 (the UNet uses the default 1e-5).
    return nn.GroupNorm(num_groups=32, num_channels=channels, eps=1e-6, affine=True)


def swish(x):
    return x * torch.sigmoid(x)


class ResnetBlock(nn.Module):
    """norm-swish-conv twice, plus a 1x1 (nin_shortcut) or 3x3 (conv_shortcut) skip."""

    def __init__(self, in_channels, out_channels, conv_shortcut=False):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.norm1 = group_norm(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = group_norm(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        # The skip's attribute name is part of the checkpoint keys, so keep both spellings.
        self.skip_kind = "identity"
        if in_channels != out_channels:
            if conv_shortcut:
                self.conv_shortcut = nn.Conv2d(in_channels, out_channels, 3, padding=1)
                self.skip_kind = "conv"
            else:
                self.nin_shortcut = nn.Conv2d(in_channels, out_channels, 1)
                self.skip_kind = "nin"

    def forward(self, x):
        h = self.conv1(swish(self.norm1(x)))
        h = self.conv2(swish(self.norm2(h)))  # dropout is the identity at inference
        if self.skip_kind == "nin":
            x = self.nin_shortcut(x)
        elif self.skip_kind == "conv":
            x = self.conv_shortcut(x)
        return x + h


class AttnBlock(nn.Module):
    """Single-head spatial self-attention with separate 1x1 q, k, v convolutions."""

    def __init__(self, channels):
        super().__init__()
        self.norm = group_norm(channels)
        self.q = nn.Conv2d(channels, channels, 1)
        self.k = nn.Conv2d(channels, channels, 1)
        self.v = nn.Conv2d(channels, channels, 1)
        self.proj_out = nn.Conv2d(channels, channels, 1)
        self.scale = float(channels) ** -0.5

    def forward(self, x):
        h = self.norm(x)
        b, c, hh, ww = x.shape
        q = self.q(h).reshape(b, c, hh * ww)
        k = self.k(h).reshape(b, c, hh * ww)
        v = self.v(h).reshape(b, c, hh * ww)
        w = torch.softmax(torch.bmm(q.transpose(1, 2), k) * self.scale, dim=2)  # b, i(q), j(k)
        out = torch.bmm(v, w.transpose(1, 2)).reshape(b, c, hh, ww)
        return x + self.proj_out(out)


def make_attn(channels, attn_type):
    if attn_type == "vanilla":
        return AttnBlock(channels)
    if attn_type == "none":
        return nn.Identity()
    raise ValueError(f"attn_type '{attn_type}' is not supported (vanilla or none)")


class Downsample(nn.Module):
    """Stride-2 3x3 conv after padding right/bottom by one (the original's asymmetric pad)."""

    def __init__(self, channels, with_conv):
        super().__init__()
        self.with_conv = with_conv
        if with_conv:
            self.conv = nn.Conv2d(channels, channels, 3, stride=2, padding=0)

    def forward(self, x):
        if self.with_conv:
            return self.conv(F.pad(x, (0, 1, 0, 1)))
        return F.avg_pool2d(x, kernel_size=2, stride=2)


class Upsample(nn.Module):
    def __init__(self, channels, with_conv):
        super().__init__()
        self.with_conv = with_conv
        if with_conv:
            self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.conv(x) if self.with_conv else x


class Level(nn.Module):
    """One resolution level: 'block' and 'attn' lists plus an optional resampler, the layout
    the checkpoint's down.N.* / up.N.* keys expect."""

    def __init__(self):
        super().__init__()
        self.block = nn.ModuleList()
        self.attn = nn.ModuleList()


def _check_ddconfig(ch, ch_mult, num_res_blocks, z_channels):
    if ch % 32 or min(ch_mult) < 1 or num_res_blocks < 1 or z_channels < 1:
        raise ValueError("ddconfig: ch must be a multiple of 32 (GroupNorm(32)), ch_mult >= 1, "
                         "num_res_blocks >= 1, z_channels >= 1")


class Encoder(nn.Module):
    def __init__(self, *, ch, out_ch, ch_mult, num_res_blocks, attn_resolutions, in_channels,
                 resolution, z_channels, double_z=True, resamp_with_conv=True, dropout=0.0,
                 attn_type="vanilla", use_linear_attn=False):
        super().__init__()
        del out_ch, dropout  # out_ch is the decoder's; dropout is off at inference
        if use_linear_attn:
            attn_type = "linear"
        _check_ddconfig(ch, ch_mult, num_res_blocks, z_channels)
        self.num_resolutions = len(ch_mult)
        self.num_res_blocks = num_res_blocks
        self.conv_in = nn.Conv2d(in_channels, ch, 3, padding=1)
        in_ch_mult = (1,) + tuple(ch_mult)
        res = resolution
        self.down = nn.ModuleList()
        block_in = ch
        for i_level in range(self.num_resolutions):
            level = Level()
            block_in = ch * in_ch_mult[i_level]
            block_out = ch * ch_mult[i_level]
            for _ in range(num_res_blocks):
                level.block.append(ResnetBlock(block_in, block_out))
                block_in = block_out
                if res in attn_resolutions:
                    level.attn.append(make_attn(block_in, attn_type))
            if i_level != self.num_resolutions - 1:
                level.downsample = Downsample(block_in, resamp_with_conv)
                res //= 2
            self.down.append(level)
        self.mid = nn.Module()
        self.mid.block_1 = ResnetBlock(block_in, block_in)
        self.mid.attn_1 = make_attn(block_in, attn_type)
        self.mid.block_2 = ResnetBlock(block_in, block_in)
        self.norm_out = group_norm(block_in)
        self.conv_out = nn.Conv2d(block_in, 2 * z_channels if double_z else z_channels, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for i_level, level in enumerate(self.down):
            for i_block, block in enumerate(level.block):
                h = block(h)
                if len(level.attn) > 0:
                    h = level.attn[i_block](h)
            if i_level != self.num_resolutions - 1:
                h = level.downsample(h)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        return self.conv_out(swish(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, *, ch, out_ch, ch_mult, num_res_blocks, attn_resolutions, in_channels,
                 resolution, z_channels, double_z=True, resamp_with_conv=True, dropout=0.0,
                 attn_type="vanilla", use_linear_attn=False, give_pre_end=False, tanh_out=False):
        super().__init__()
        del in_channels, double_z, dropout
        if use_linear_attn:
            attn_type = "linear"
        if give_pre_end:
            raise ValueError("ddconfig.give_pre_end is not supported (no image output)")
        _check_ddconfig(ch, ch_mult, num_res_blocks, z_channels)
        self.tanh_out = tanh_out
        self.num_resolutions = len(ch_mult)
        block_in = ch * ch_mult[-1]
        res = resolution // 2 ** (self.num_resolutions - 1)
        self.conv_in = nn.Conv2d(z_channels, block_in, 3, padding=1)
        self.mid = nn.Module()
        self.mid.block_1 = ResnetBlock(block_in, block_in)
        self.mid.attn_1 = make_attn(block_in, attn_type)
        self.mid.block_2 = ResnetBlock(block_in, block_in)
        # Built from the lowest resolution up, stored highest-first: up.0 is full resolution.
        levels = []
        for i_level in reversed(range(self.num_resolutions)):
            level = Level()
            block_out = ch * ch_mult[i_level]
            for _ in range(num_res_blocks + 1):
                level.block.append(ResnetBlock(block_in, block_out))
                block_in = block_out
                if res in attn_resolutions:
                    level.attn.append(make_attn(block_in, attn_type))
            if i_level != 0:
                level.upsample = Upsample(block_in, resamp_with_conv)
                res *= 2
            levels.insert(0, level)
        self.up = nn.ModuleList(levels)
        self.norm_out = group_norm(block_in)
        self.conv_out = nn.Conv2d(block_in, out_ch, 3, padding=1)

    def forward(self, z):
        h = self.conv_in(z)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        for i_level in reversed(range(self.num_resolutions)):
            level = self.up[i_level]
            for i_block, block in enumerate(level.block):
                h = block(h)
                if len(level.attn) > 0:
                    h = level.attn[i_block](h)
            if i_level != 0:
                h = level.upsample(h)
        h = self.conv_out(swish(self.norm_out(h)))
        return torch.tanh(h) if self.tanh_out else h
