#!/usr/bin/python3
"""Convert a CompVis latent-diffusion checkpoint into a PLoRG Studio model bundle.

  export_ldm.py --config ffhq-ldm-vq-4.yaml --ckpt model.ckpt --out bundles/ffhq-ldm-vq-4
  export_ldm.py --config configs/ffhq-ldm-vq-4.yaml --random --out /tmp/ffhq-random

The config is the original YAML (the release's config.yaml, or models/configs/); the
checkpoint is loaded strictly: every UNet and first-stage tensor must be present with the
config's shape, and keys that are neither model weights nor known training leftovers are
errors. The UNet's EMA weights are used when the checkpoint has them (--no-ema: the training
weights). The exported TorchScript is verified against the eager model before the bundle is
renamed into place. Run with Debian's torch: /usr/bin/python3 (CPU is enough; the full
FFHQ model needs about 6 GB of RAM and a few minutes).

Exit status: 0 written, 1 export failed (message on stderr), 2 usage error.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from ldm import checkpoint, config, export  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="original latent-diffusion YAML config")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--ckpt", help="checkpoint (.ckpt) matching the config")
    src.add_argument("--random", action="store_true", help="random weights (tests, timing)")
    ap.add_argument("--out", required=True, help="bundle folder to write (replaced if it is a bundle)")
    ap.add_argument("--no-ema", action="store_true", help="use the training weights, not the EMA copy")
    ap.add_argument("--image-size", type=int, default=None,
                    help="image side in pixels (default: the config's latent size times f, e.g. 256)")
    ap.add_argument("--name", help="bundle name (default: the config file's name)")
    ap.add_argument("--description")
    ap.add_argument("--license", help="licence/provenance text for model.json")
    ap.add_argument("--seed", type=int, default=0, help="seed of --random weights")
    ap.add_argument("--check-double", action="store_true",
                    help="also verify the TorchScript files in float64 (slower)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = ap.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    opts = export.Options(config=args.config, out=args.out, ckpt=args.ckpt,
                          use_ema=not args.no_ema, image_size=args.image_size, name=args.name,
                          description=args.description, license=args.license, seed=args.seed,
                          check_double=args.check_double)
    try:
        export.export(opts)
    except (config.ConfigError, checkpoint.CheckpointError, export.ExportError,
            FileExistsError, OSError) as e:
        print(f"export_ldm: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
