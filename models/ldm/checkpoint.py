"""Strict loading of a latent-diffusion checkpoint (.ckpt) into this package's modules.

The checkpoint is a PyTorch-Lightning dict whose 'state_dict' holds
  model.diffusion_model.*      the UNet's training weights
  model_ema.<name without dots> LitEma's copy of every UNet parameter (plus decay, num_updates)
  first_stage_model.*          the autoencoder (encoder, decoder, quant_conv, post_quant_conv,
                               and for VQ quantize.embedding.weight)
  betas, alphas_cumprod, ...   schedule buffers (cross-checked by schedule.py, not loaded)
Every key must be either loaded or on the known-ignorable list below; anything missing or
unexpected is an error that lists the keys, so a config that does not match the checkpoint
can never export a half-random model.

Unpickling is restricted: tensors, containers and a few numpy/torch types are rebuilt;
any other class (Lightning callbacks, OmegaConf hyper-parameters) becomes an inert
placeholder, so reading a checkpoint does not execute code from it.
"""
import dataclasses
import pickle

import torch

UNET_PREFIX = "model.diffusion_model."
EMA_PREFIX = "model_ema."
FIRST_STAGE_PREFIX = "first_stage_model."

# LatentDiffusion buffers that are derived from the schedule or only used in training.
SCHEDULE_KEYS = {
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod",
    "sqrt_one_minus_alphas_cumprod", "log_one_minus_alphas_cumprod",
    "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod", "posterior_variance",
    "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
    "lvlb_weights",
}
OTHER_KNOWN_KEYS = {
    "logvar",                  # training loss weighting (learn_logvar)
    "scale_factor",            # read separately (scale_by_std models store it)
    "model_ema.decay", "model_ema.num_updates",
    "first_stage_model.quantize.used",  # index remapping table: does not change vectors
}
# Training-only submodules of a first stage saved with its loss (LPIPS, discriminator).
KNOWN_IGNORED_PREFIXES = ("first_stage_model.loss.",)


class CheckpointError(ValueError):
    """Missing, unexpected or mis-shaped keys; the lists are kept for callers and tests."""

    def __init__(self, message, missing=(), unexpected=(), mismatched=()):
        super().__init__(message)
        self.missing = list(missing)
        self.unexpected = list(unexpected)
        self.mismatched = list(mismatched)


# ---- restricted unpickling -------------------------------------------------------------

_ALLOWED = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("torch", "Tensor"), ("torch.nn.parameter", "Parameter"),
    ("torch", "Size"), ("torch", "device"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
    ("builtins", "complex"), ("builtins", "bytearray"),
}
_DTYPE_NAMES = {n for n in dir(torch) if isinstance(getattr(torch, n, None), torch.dtype)}


class Placeholder:
    """Stands in for an object whose class is not on the allow list; keeps nothing runnable."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        self.args = args

    def __setstate__(self, state):
        self.state = state

    def __setitem__(self, key, value):
        self.__dict__.setdefault("items", {})[key] = value

    def append(self, value):
        self.__dict__.setdefault("list", []).append(value)

    def extend(self, values):
        self.__dict__.setdefault("list", []).extend(values)


class _RestrictedUnpickler(pickle.Unpickler):
    skipped = set()

    def find_class(self, module, name):
        if (module, name) in _ALLOWED or (module == "torch" and name in _DTYPE_NAMES):
            return super().find_class(module, name)
        _RestrictedUnpickler.skipped.add(f"{module}.{name}")
        return type(name, (Placeholder,), {"__module__": "placeholder." + module})


class _RestrictedPickleModule:
    """The pickle_module torch.load asks for: Unpickler plus load()."""
    Unpickler = _RestrictedUnpickler
    __name__ = "plorg_restricted_pickle"

    @staticmethod
    def load(f, **kwargs):
        return _RestrictedUnpickler(f, **kwargs).load()


def _torch_load_restricted(path):
    """torch.load with our unpickler. Debian's torch 1.13 torch.load ignores pickle_module
    unless weights_only (whose allow list rejects Lightning's objects outright), so this
    calls the same internal readers torch.load does, for both file formats."""
    ser = torch.serialization
    args = {"encoding": "utf-8"}
    with open(path, "rb") as f:
        if ser._is_zipfile(f):
            with ser._open_zipfile_reader(f) as zf:
                if ser._is_torchscript_zip(zf):
                    raise CheckpointError(f"{path} is a TorchScript archive, not a checkpoint")
                return ser._load(zf, "cpu", _RestrictedPickleModule, **args)
        return ser._legacy_load(f, "cpu", _RestrictedPickleModule, **args)


def read(path):
    """Returns (state_dict, meta). meta: global_step, epoch, skipped object types."""
    _RestrictedUnpickler.skipped = set()
    try:
        obj = _torch_load_restricted(path)
    except (pickle.UnpicklingError, EOFError, RuntimeError) as e:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint: {e}") from e
    meta = {"skipped_objects": sorted(_RestrictedUnpickler.skipped)}
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        for k in ("global_step", "epoch"):
            if isinstance(obj.get(k), int):
                meta[k] = obj[k]
        sd = obj["state_dict"]
    elif isinstance(obj, dict) and obj and all(torch.is_tensor(v) for v in obj.values()):
        sd = obj  # a bare state dict
    else:
        raise CheckpointError(f"{path}: neither a Lightning checkpoint with 'state_dict' "
                              f"nor a state dict of tensors")
    bad = [k for k, v in sd.items() if not torch.is_tensor(v)]
    if bad:
        raise CheckpointError(f"{path}: non-tensor entries in state_dict: {bad[:20]}")
    return sd, meta


# ---- key matching ------------------------------------------------------------------------

def ema_key(unet_param_name):
    """LitEma's buffer name: the parameter's name under the wrapper with the dots removed."""
    return EMA_PREFIX + ("diffusion_model." + unet_param_name).replace(".", "")


@dataclasses.dataclass
class LoadReport:
    ema: str                   # "used", "present, not used (--no-ema)" or "absent"
    ema_num_updates: int
    ignored_keys: int
    checkpoint_dtypes: list
    scale_factor: float        # from the checkpoint's buffer, or None


def _fmt(keys, limit=40):
    keys = sorted(keys)
    more = f" ... and {len(keys) - limit} more" if len(keys) > limit else ""
    return "\n    " + "\n    ".join(keys[:limit]) + more


def load_into(sd, unet, first_stage, use_ema=True):
    """Copies the checkpoint's weights into unet and first_stage (both nn.Module).

    Raises CheckpointError listing every missing, unexpected or mis-shaped key.
    """
    unet_sd, fs_sd = unet.state_dict(), first_stage.state_dict()
    ema_map = {ema_key(n): n for n, p in unet.named_parameters()}
    if len(ema_map) != len(list(unet.named_parameters())):
        raise CheckpointError("internal: EMA names collide after removing dots")
    ema_present = [k for k in ema_map if k in sd]
    use_ema = use_ema and bool(ema_present)
    expected = {UNET_PREFIX + k: ("unet", k) for k in unet_sd}
    expected.update({FIRST_STAGE_PREFIX + k: ("fs", k) for k in fs_sd})
    if use_ema:
        expected.update({k: ("ema", n) for k, n in ema_map.items()})

    def known(k):
        return (k in SCHEDULE_KEYS or k in OTHER_KNOWN_KEYS
                or k.startswith(KNOWN_IGNORED_PREFIXES) or (not use_ema and k in ema_map))

    missing = [k for k in expected if k not in sd]
    unexpected = [k for k in sd if k not in expected and not known(k)]
    mismatched = []
    for k, (where, name) in expected.items():
        if k in sd:
            want = (fs_sd[name] if where == "fs" else unet_sd[name]).shape
            if tuple(sd[k].shape) != tuple(want):
                mismatched.append(f"{k}: checkpoint {tuple(sd[k].shape)}, model {tuple(want)}")
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing key(s):" + _fmt(missing))
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s):" + _fmt(unexpected))
        if mismatched:
            parts.append(f"{len(mismatched)} shape mismatch(es):" + _fmt(mismatched))
        hint = ("\n  (does the config match the checkpoint? a partial EMA copy can be skipped "
                "with --no-ema)")
        raise CheckpointError("checkpoint does not match the model:\n  " + "\n  ".join(parts)
                              + hint, missing, unexpected, mismatched)

    new_unet = {}
    for k in unet_sd:
        src = ema_key(k) if use_ema else UNET_PREFIX + k
        new_unet[k] = sd[src].to(torch.float32)
    new_fs = {k: sd[FIRST_STAGE_PREFIX + k].to(torch.float32) for k in fs_sd}
    unet.load_state_dict(new_unet, strict=True)
    first_stage.load_state_dict(new_fs, strict=True)

    used_keys = set(expected)
    n_updates = sd.get("model_ema.num_updates")
    sf = sd.get("scale_factor")
    return LoadReport(
        ema="used" if use_ema else ("present, not used (--no-ema)" if ema_present else "absent"),
        ema_num_updates=int(n_updates) if n_updates is not None else -1,
        ignored_keys=len([k for k in sd if k not in used_keys]),
        checkpoint_dtypes=sorted({str(v.dtype).replace("torch.", "") for v in sd.values()}),
        scale_factor=float(sf) if sf is not None else None)
