"""The KL first stage (LDM's AutoencoderKL) and the two halves the bundle exports.

Written for PLoRG Studio from the architecture of CompVis/latent-diffusion's
ldm/models/autoencoder.py (AutoencoderKL): the encoder emits mean and log-variance
(double_z), quant_conv mixes them, the bundle's encoder returns the posterior mean.
"""
import torch.nn as nn

from .autoencoder import Decoder, Encoder


class KLFirstStage(nn.Module):
    def __init__(self, ddconfig, embed_dim):
        super().__init__()
        if not ddconfig.get("double_z", True):
            raise ValueError("AutoencoderKL needs ddconfig.double_z: true")
        self.encoder = Encoder(**ddconfig)
        self.decoder = Decoder(**ddconfig)
        self.quant_conv = nn.Conv2d(2 * ddconfig["z_channels"], 2 * embed_dim, 1)
        self.post_quant_conv = nn.Conv2d(embed_dim, ddconfig["z_channels"], 1)
        self.embed_dim = embed_dim

    def encoder_part(self):
        return KLEncodeMean(self.encoder, self.quant_conv, self.embed_dim)

    def decoder_part(self):
        return KLDecode(self.post_quant_conv, self.decoder)


class KLEncodeMean(nn.Module):
    """x in [-1,1] -> posterior mean (the first embed_dim channels of the moments)."""

    def __init__(self, encoder, quant_conv, embed_dim):
        super().__init__()
        self.encoder = encoder
        self.quant_conv = quant_conv
        self.embed_dim = embed_dim

    def forward(self, x):
        return self.quant_conv(self.encoder(x))[:, :self.embed_dim]


class KLDecode(nn.Module):
    def __init__(self, post_quant_conv, decoder):
        super().__init__()
        self.post_quant_conv = post_quant_conv
        self.decoder = decoder

    def forward(self, z):
        return self.decoder(self.post_quant_conv(z))
