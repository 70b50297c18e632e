"""Reads an original latent-diffusion YAML config (configs/latent-diffusion/*.yaml or a
released model's config.yaml) into the constructor arguments of this package's modules.

Only what the bundle can represent is accepted: an unconditional LatentDiffusion with the
openaimodel UNet (eps prediction, linear betas) over a VQ or KL first stage. Anything else is
refused with a message naming the setting, rather than exported into a wrong model.
"""
import dataclasses

import yaml

LATENT_DIFFUSION = "ldm.models.diffusion.ddpm.LatentDiffusion"
UNET = "ldm.modules.diffusionmodules.openaimodel.UNetModel"
VQ_TARGETS = ("ldm.models.autoencoder.VQModelInterface", "ldm.models.autoencoder.VQModel")
KL_TARGETS = ("ldm.models.autoencoder.AutoencoderKL",)

# UNetModel arguments this package builds from, and those that only matter for training.
UNET_ARGS = {"image_size", "in_channels", "model_channels", "out_channels", "num_res_blocks",
             "attention_resolutions", "channel_mult", "conv_resample", "num_heads",
             "num_head_channels", "num_heads_upsample", "use_scale_shift_norm",
             "resblock_updown", "use_new_attention_order"}
UNET_TRAINING_ONLY = {"dropout", "use_checkpoint", "use_fp16", "legacy"}
# Arguments whose non-default values change the architecture in ways not implemented here.
UNET_UNSUPPORTED = {"dims": 2, "num_classes": None, "use_spatial_transformer": False,
                    "context_dim": None, "n_embed": None, "transformer_depth": 1}

DDCONFIG_ARGS = {"ch", "out_ch", "ch_mult", "num_res_blocks", "attn_resolutions", "in_channels",
                 "resolution", "z_channels", "double_z", "resamp_with_conv", "dropout",
                 "attn_type", "use_linear_attn", "give_pre_end", "tanh_out"}


class ConfigError(ValueError):
    pass


@dataclasses.dataclass
class LdmConfig:
    unet: dict                 # UNetModel kwargs
    first_stage: str           # "vq" or "kl"
    ddconfig: dict             # Encoder/Decoder kwargs
    embed_dim: int
    n_embed: int               # VQ codebook size (0 for KL)
    timesteps: int
    linear_start: float
    linear_end: float
    beta_schedule: str
    parameterization: str
    scale_factor: float        # config value; a checkpoint's scale_factor buffer overrides it
    scale_by_std: bool
    latent_size: int           # model.params.image_size (latent side)
    latent_channels: int
    downsampling: int          # first-stage factor f = 2^(len(ch_mult)-1)
    raw: dict                  # the whole parsed YAML, for the manifest

    @property
    def default_image_size(self):
        return self.latent_size * self.downsampling


def _listify(v):
    return [int(x) for x in v] if isinstance(v, (list, tuple)) else v


def _params(node, what):
    if not isinstance(node, dict) or "target" not in node:
        raise ConfigError(f"{what}: expected a mapping with 'target' and 'params'")
    return node["target"], dict(node.get("params") or {})


def parse_unet(node):
    target, p = _params(node, "unet_config")
    if target != UNET:
        raise ConfigError(f"unet_config.target '{target}' is not {UNET}")
    problems = []
    for key, default in UNET_UNSUPPORTED.items():
        if key in p and p[key] != default:
            problems.append(f"unet_config.params.{key}={p[key]!r} (only {default!r} is supported)")
    unknown = set(p) - UNET_ARGS - UNET_TRAINING_ONLY - set(UNET_UNSUPPORTED)
    if unknown:
        problems.append("unknown unet_config.params: " + ", ".join(sorted(unknown)))
    if problems:
        raise ConfigError("; ".join(problems))
    missing = {"in_channels", "model_channels", "out_channels", "num_res_blocks",
               "attention_resolutions"} - set(p)
    if missing:
        raise ConfigError("unet_config.params lacks " + ", ".join(sorted(missing)))
    kw = {k: _listify(v) for k, v in p.items() if k in UNET_ARGS}
    kw.setdefault("image_size", None)
    return kw


def parse_first_stage(node):
    target, p = _params(node, "first_stage_config")
    if target in VQ_TARGETS:
        kind = "vq"
    elif target in KL_TARGETS:
        kind = "kl"
    else:
        raise ConfigError(f"first_stage_config.target '{target}' is not supported "
                          f"(VQModelInterface, VQModel or AutoencoderKL)")
    dd = dict(p.get("ddconfig") or {})
    unknown = set(dd) - DDCONFIG_ARGS
    if unknown:
        raise ConfigError("unknown first_stage_config ddconfig keys: " + ", ".join(sorted(unknown)))
    for key in ("ch", "out_ch", "ch_mult", "num_res_blocks", "in_channels", "resolution",
                "z_channels"):
        if key not in dd:
            raise ConfigError(f"first_stage_config.params.ddconfig lacks {key}")
    dd = {k: _listify(v) for k, v in dd.items()}
    dd.setdefault("attn_resolutions", [])
    if dd.get("attn_type", "vanilla") not in ("vanilla", "none") or dd.get("use_linear_attn"):
        raise ConfigError("first stage: only vanilla or no attention is supported (not linear)")
    if kind == "vq" and dd.get("double_z", True):
        raise ConfigError("VQ first stage needs ddconfig.double_z: false")
    if "embed_dim" not in p or (kind == "vq" and "n_embed" not in p):
        raise ConfigError("first_stage_config.params needs embed_dim (and n_embed for VQ)")
    return kind, dd, int(p["embed_dim"]), int(p.get("n_embed", 0))


def from_dict(cfg):
    if not isinstance(cfg, dict) or "model" not in cfg:
        raise ConfigError("config has no top-level 'model'")
    target, p = _params(cfg["model"], "model")
    if target != LATENT_DIFFUSION:
        raise ConfigError(f"model.target '{target}' is not {LATENT_DIFFUSION}")
    cond = p.get("cond_stage_config")
    if cond != "__is_unconditional__" or p.get("conditioning_key") is not None:
        raise ConfigError("only unconditional models are supported "
                          "(cond_stage_config: __is_unconditional__)")
    parameterization = p.get("parameterization", "eps")
    beta_schedule = p.get("beta_schedule", "linear")
    if parameterization != "eps":
        raise ConfigError(f"parameterization '{parameterization}' is not supported (eps)")
    if beta_schedule != "linear":
        raise ConfigError(f"beta_schedule '{beta_schedule}' is not supported (linear)")
    if p.get("given_betas") is not None:
        raise ConfigError("given_betas is not supported (linear schedule only)")
    unet = parse_unet(p.get("unet_config"))
    kind, dd, embed_dim, n_embed = parse_first_stage(p.get("first_stage_config"))
    channels = int(p.get("channels", unet["in_channels"]))
    if not (unet["in_channels"] == unet["out_channels"] == channels == embed_dim):
        raise ConfigError(f"latent channels disagree: unet in/out {unet['in_channels']}/"
                          f"{unet['out_channels']}, channels {channels}, embed_dim {embed_dim}")
    return LdmConfig(
        unet=unet, first_stage=kind, ddconfig=dd, embed_dim=embed_dim, n_embed=n_embed,
        timesteps=int(p.get("timesteps", 1000)),
        linear_start=float(p.get("linear_start", 1e-4)),
        linear_end=float(p.get("linear_end", 2e-2)),
        beta_schedule=beta_schedule, parameterization=parameterization,
        scale_factor=float(p.get("scale_factor", 1.0)),
        scale_by_std=bool(p.get("scale_by_std", False)),
        latent_size=int(p.get("image_size", unet.get("image_size") or 64)),
        latent_channels=channels,
        downsampling=2 ** (len(dd["ch_mult"]) - 1),
        raw=cfg)


def load(path):
    with open(path, "r", encoding="utf-8") as f:
        try:
            cfg = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from e
    return from_dict(cfg)
