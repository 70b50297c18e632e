"""The VQ first stage (LDM's VQModelInterface) and the two halves the bundle exports.

Written for PLoRG Studio from the architecture of CompVis/latent-diffusion's
ldm/models/autoencoder.py (VQModel) and taming-transformers' VectorQuantizer2. Attribute names
(encoder, decoder, quant_conv, post_quant_conv, quantize.embedding) match the checkpoint's
'first_stage_model.*' keys.
"""
import torch
import torch.nn as nn

from .autoencoder import Decoder, Encoder


class VectorQuantizer(nn.Module):
    """Nearest-codebook-entry quantiser with the straight-through estimator.

    forward(z) = z + (q(z) - z).detach(): the value is q(z), the gradient is the identity,
    which is what LDM's differentiable decode_first_stage backpropagates through.
    """

    def __init__(self, n_embed, embed_dim):
        super().__init__()
        self.embedding = nn.Embedding(n_embed, embed_dim)

    def nearest(self, z):
        b, c, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(b * h * w, c)
        e = self.embedding.weight.type_as(flat)
        # |z - e|^2 up to the per-row constant |z|^2, which does not change the argmin.
        d = (e * e).sum(dim=1)[None, :] - 2.0 * flat @ e.t()
        idx = torch.argmin(d, dim=1)
        return e[idx].reshape(b, h, w, c).permute(0, 3, 1, 2)

    def forward(self, z):
        return z + (self.nearest(z) - z).detach()


class VQFirstStage(nn.Module):
    """Holds the checkpoint's first-stage modules; export halves via encoder_part/decoder_part."""

    def __init__(self, ddconfig, n_embed, embed_dim):
        super().__init__()
        self.encoder = Encoder(**ddconfig)
        self.decoder = Decoder(**ddconfig)
        self.quantize = VectorQuantizer(n_embed, embed_dim)
        self.quant_conv = nn.Conv2d(ddconfig["z_channels"], embed_dim, 1)
        self.post_quant_conv = nn.Conv2d(embed_dim, ddconfig["z_channels"], 1)

    def encoder_part(self):
        return VQEncode(self.encoder, self.quant_conv)

    def decoder_part(self):
        return VQDecode(self.quantize, self.post_quant_conv, self.decoder)


class VQEncode(nn.Module):
    """x in [-1,1] -> pre-quantisation latent h (LDM's encode_first_stage for VQ)."""

    def __init__(self, encoder, quant_conv):
        super().__init__()
        self.encoder = encoder
        self.quant_conv = quant_conv

    def forward(self, x):
        return self.quant_conv(self.encoder(x))


class VQDecode(nn.Module):
    """h -> quantise (straight-through) -> post_quant_conv -> decoder -> x."""

    def __init__(self, quantize, post_quant_conv, decoder):
        super().__init__()
        self.quantize = quantize
        self.post_quant_conv = post_quant_conv
        self.decoder = decoder

    def forward(self, z):
        return self.decoder(self.post_quant_conv(self.quantize(z)))
