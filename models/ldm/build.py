"""Builds the eager modules a config describes (random weights until a checkpoint is loaded)."""
from .kl import KLFirstStage
from .unet import UNetModel
from .vq import VQFirstStage


def build_unet(cfg):
    return UNetModel(**cfg.unet)


def build_first_stage(cfg):
    if cfg.first_stage == "vq":
        return VQFirstStage(cfg.ddconfig, cfg.n_embed, cfg.embed_dim)
    return KLFirstStage(cfg.ddconfig, cfg.embed_dim)


def build(cfg):
    """(unet, first_stage), both in eval mode."""
    return build_unet(cfg).eval(), build_first_stage(cfg).eval()


def count(module):
    return sum(p.numel() for p in module.parameters())


def export_parts(unet, first_stage):
    """The three modules a bundle holds, each with only the parameters it uses."""
    return {"unet": unet, "encoder": first_stage.encoder_part().eval(),
            "decoder": first_stage.decoder_part().eval()}
