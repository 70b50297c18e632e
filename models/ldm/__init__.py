"""Latent-diffusion (CompVis/latent-diffusion) models re-implemented for export to PLoRG
Studio bundles: config.py reads the original YAML, unet.py / autoencoder.py / vq.py / kl.py
are the networks with the checkpoint's parameter names, checkpoint.py loads a .ckpt strictly,
schedule.py cross-checks the noise schedule, torchscript.py traces and verifies, bundle.py
writes the bundle folder, export.py ties them together (CLI: models/export_ldm.py).
lpips.py is the LPIPS network for models/export_lpips.py."""
