"""The eps-prediction UNet of latent diffusion (unconditional, 2-D, openaimodel layout).

Written for PLoRG Studio from the architecture of CompVis/latent-diffusion's
ldm/modules/diffusionmodules/openaimodel.py (UNetModel). Module names and nesting follow that
code (input_blocks.N.M, middle_block.M, output_blocks.N.M, in_layers.0/2, emb_layers.1,
out_layers.0/3, skip_connection, qkv, proj_out, op, conv, out.0/2) so that a checkpoint's
'model.diffusion_model.*' keys load unchanged. Constructor arguments carry the config's names.
Kept traceable: no shape-dependent control flow; tensor factories follow t's dtype and device.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def group_norm(channels):
    # openaimodel's normalization(): 32 groups, PyTorch's default eps (1e-5).
    return nn.GroupNorm(32, channels)


def timestep_embedding(t, dim, max_period=10000):
    """Sinusoidal embedding [cos | sin] of (possibly fractional) timesteps t: [B] -> [B, dim].

    The frequencies are computed in float32 as the original does, then follow t (float64 in
    the shim's double mode, CUDA on a GPU) so that the trace bakes in neither.
    """
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(0, half, dtype=torch.float32) / half)
    args = t[:, None] * freqs.type_as(t)[None, :]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = F.pad(emb, (0, 1))
    return emb


class Upsample(nn.Module):
    def __init__(self, channels, use_conv, out_channels=None):
        super().__init__()
        self.channels = channels
        self.use_conv = use_conv
        if use_conv:
            self.conv = nn.Conv2d(channels, out_channels or channels, 3, padding=1)

    def forward(self, x):
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.conv(x) if self.use_conv else x


class Downsample(nn.Module):
    def __init__(self, channels, use_conv, out_channels=None):
        super().__init__()
        if use_conv:
            self.op = nn.Conv2d(channels, out_channels or channels, 3, stride=2, padding=1)
        else:
            if out_channels not in (None, channels):
                raise ValueError("average-pool downsampling cannot change the channel count")
            self.op = nn.AvgPool2d(kernel_size=2, stride=2)

    def forward(self, x):
        return self.op(x)


class ResBlock(nn.Module):
    """Residual block conditioned on the timestep embedding (added, or FiLM scale/shift)."""

    def __init__(self, channels, emb_channels, out_channels=None, use_conv=False,
                 use_scale_shift_norm=False, up=False, down=False):
        super().__init__()
        out_channels = out_channels or channels
        self.use_scale_shift_norm = use_scale_shift_norm
        self.in_layers = nn.Sequential(group_norm(channels), nn.SiLU(),
                                       nn.Conv2d(channels, out_channels, 3, padding=1))
        self.updown = up or down
        if up:
            self.h_upd, self.x_upd = Upsample(channels, False), Upsample(channels, False)
        elif down:
            self.h_upd, self.x_upd = Downsample(channels, False), Downsample(channels, False)
        self.emb_layers = nn.Sequential(
            nn.SiLU(), nn.Linear(emb_channels, 2 * out_channels if use_scale_shift_norm else out_channels))
        self.out_layers = nn.Sequential(group_norm(out_channels), nn.SiLU(), nn.Dropout(p=0.0),
                                        nn.Conv2d(out_channels, out_channels, 3, padding=1))
        if out_channels == channels:
            self.skip_connection = nn.Identity()
        elif use_conv:
            self.skip_connection = nn.Conv2d(channels, out_channels, 3, padding=1)
        else:
            self.skip_connection = nn.Conv2d(channels, out_channels, 1)

    def forward(self, x, emb):
        if self.updown:
            h = self.in_layers[1](self.in_layers[0](x))
            h = self.in_layers[2](self.h_upd(h))
            x = self.x_upd(x)
        else:
            h = self.in_layers(x)
        e = self.emb_layers(emb)[:, :, None, None]
        if self.use_scale_shift_norm:
            scale, shift = torch.chunk(e, 2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            h = self.out_layers[3](self.out_layers[1](h))
        else:
            h = self.out_layers(h + e)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Multi-head self-attention over all positions, 1-D convolutions for qkv and output.

    new_order=False is openaimodel's QKVAttentionLegacy (heads split before q/k/v), which
    every LDM config uses; True is its QKVAttention (q/k/v split first).
    """

    def __init__(self, channels, num_heads, new_order=False):
        super().__init__()
        if channels % num_heads:
            raise ValueError(f"attention: {channels} channels not divisible into {num_heads} heads")
        self.num_heads = num_heads
        self.head_channels = channels // num_heads
        self.new_order = new_order
        self.norm = group_norm(channels)
        self.qkv = nn.Conv1d(channels, 3 * channels, 1)
        self.proj_out = nn.Conv1d(channels, channels, 1)
        # q and k are each scaled by ch^-1/4 before the product, as the original does.
        self.scale = 1.0 / math.sqrt(math.sqrt(self.head_channels))

    def forward(self, x):
        b, c, hh, ww = x.shape
        xf = x.reshape(b, c, hh * ww)
        qkv = self.qkv(self.norm(xf))
        n, ch, length = self.num_heads, self.head_channels, hh * ww
        if self.new_order:
            q, k, v = qkv.chunk(3, dim=1)
            q = q.reshape(b * n, ch, length)
            k = k.reshape(b * n, ch, length)
            v = v.reshape(b * n, ch, length)
        else:
            q, k, v = qkv.reshape(b * n, 3 * ch, length).split(ch, dim=1)
        w = torch.einsum("bct,bcs->bts", q * self.scale, k * self.scale)
        w = torch.softmax(w, dim=-1)
        a = torch.einsum("bts,bcs->bct", w, v).reshape(b, c, length)
        return (xf + self.proj_out(a)).reshape(b, c, hh, ww)


class EmbedSequential(nn.Sequential):
    """A Sequential whose residual blocks also receive the timestep embedding."""

    def forward(self, x, emb):
        for layer in self:
            x = layer(x, emb) if isinstance(layer, ResBlock) else layer(x)
        return x


class UNetModel(nn.Module):
    """forward(x: B x in_channels x h x w, timesteps: [B] float) -> B x out_channels x h x w."""

    def __init__(self, image_size, in_channels, model_channels, out_channels, num_res_blocks,
                 attention_resolutions, channel_mult=(1, 2, 4, 8), conv_resample=True,
                 num_heads=-1, num_head_channels=-1, num_heads_upsample=-1,
                 use_scale_shift_norm=False, resblock_updown=False,
                 use_new_attention_order=False):
        super().__init__()
        del image_size  # fully convolutional; the bundle records the latent size instead
        if num_heads == -1 and num_head_channels == -1:
            raise ValueError("unet: set num_heads or num_head_channels")
        if num_heads_upsample == -1:
            num_heads_upsample = num_heads
        self.model_channels = model_channels
        attention_resolutions = set(attention_resolutions)
        emb_ch = 4 * model_channels

        def heads(ch, fallback):
            # num_head_channels, when given, fixes the head width; else the head count is fixed.
            return ch // num_head_channels if num_head_channels != -1 else fallback

        def res(ch_in, ch_out, **kw):
            return ResBlock(ch_in, emb_ch, ch_out, use_scale_shift_norm=use_scale_shift_norm, **kw)

        def attn(ch, fallback):
            return AttentionBlock(ch, heads(ch, fallback), use_new_attention_order)

        self.time_embed = nn.Sequential(nn.Linear(model_channels, emb_ch), nn.SiLU(),
                                        nn.Linear(emb_ch, emb_ch))
        self.input_blocks = nn.ModuleList(
            [EmbedSequential(nn.Conv2d(in_channels, model_channels, 3, padding=1))])
        skip_chans, ch, ds = [model_channels], model_channels, 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers = [res(ch, mult * model_channels)]
                ch = mult * model_channels
                if ds in attention_resolutions:
                    layers.append(attn(ch, num_heads))
                self.input_blocks.append(EmbedSequential(*layers))
                skip_chans.append(ch)
            if level != len(channel_mult) - 1:
                down = (res(ch, ch, down=True) if resblock_updown
                        else Downsample(ch, conv_resample, ch))
                self.input_blocks.append(EmbedSequential(down))
                skip_chans.append(ch)
                ds *= 2
        self.middle_block = EmbedSequential(res(ch, ch), attn(ch, num_heads), res(ch, ch))
        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            for i in range(num_res_blocks + 1):
                layers = [res(ch + skip_chans.pop(), model_channels * mult)]
                ch = model_channels * mult
                if ds in attention_resolutions:
                    layers.append(attn(ch, num_heads_upsample))
                if level and i == num_res_blocks:
                    layers.append(res(ch, ch, up=True) if resblock_updown
                                  else Upsample(ch, conv_resample, ch))
                    ds //= 2
                self.output_blocks.append(EmbedSequential(*layers))
        self.out = nn.Sequential(group_norm(ch), nn.SiLU(),
                                 nn.Conv2d(model_channels, out_channels, 3, padding=1))

    def forward(self, x, timesteps):
        emb = self.time_embed(timestep_embedding(timesteps, self.model_channels))
        hs = []
        h = x
        for block in self.input_blocks:
            h = block(h, emb)
            hs.append(h)
        h = self.middle_block(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, hs.pop()], dim=1), emb)
        return self.out(h)
