#!/usr/bin/python3
"""Tests of the latent-diffusion and LPIPS exporters without the real weights.

  /usr/bin/python3 models/tests/test_ldm_export.py            (fast tests; exit 1 on failure)
  PLORG_SLOW_TESTS=1 /usr/bin/python3 models/tests/test_ldm_export.py FullSizeExport

Covers: parameter counts of the full FFHQ LDM-VQ-4 model against counts derived from the
original code's layer definitions; config parsing and refusals; a synthetic checkpoint in
the original key layout through the exporter (EMA selection, strict key errors, schedule
cross-check, restricted unpickling); TorchScript against the eager model; the VQ decoder's
straight-through gradient; the LPIPS exporter. FullSizeExport (slow, ~minutes on 2 cores)
exports the full-size FFHQ architecture with random weights.
"""
import copy
import json
import os
import shutil
import sys
import tempfile
import unittest

# Before torch loads OpenMP: spinning worker threads starve everything on a shared machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import synthetic  # noqa: E402
import export_ldm  # noqa: E402
import export_lpips  # noqa: E402
from ldm import build, checkpoint, config, export, lpips, torchscript  # noqa: E402
from ldm.vq import VQDecode  # noqa: E402

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
SLOW = os.environ.get("PLORG_SLOW_TESTS") == "1"
QUIET = lambda *a, **k: None  # noqa: E731


# ---- parameter counts from the original definitions (arithmetic, no modules) ---------------

def derived_unet_params(mc, mult, nrb, attn_ds, cin, cout):
    """openaimodel.UNetModel with num_head_channels set, no scale-shift, conv resampling."""
    emb = 4 * mc

    def res(ci, co):  # GN(ci), conv3 ci->co, Linear(emb, co), GN(co), conv3 co->co, skip
        return (2 * ci + 9 * ci * co + co + emb * co + co + 2 * co + 9 * co * co + co
                + (0 if ci == co else ci * co + co))

    def attn(c):  # GN, qkv Conv1d c->3c, proj_out Conv1d c->c
        return 2 * c + 3 * c * c + 3 * c + c * c + c

    n = (mc * emb + emb) + (emb * emb + emb) + (9 * cin * mc + mc)
    chans, ch, ds = [mc], mc, 1
    for lvl, m in enumerate(mult):
        for _ in range(nrb):
            n += res(ch, m * mc)
            ch = m * mc
            n += attn(ch) if ds in attn_ds else 0
            chans.append(ch)
        if lvl != len(mult) - 1:
            n += 9 * ch * ch + ch
            chans.append(ch)
            ds *= 2
    n += 2 * res(ch, ch) + attn(ch)
    for lvl, m in reversed(list(enumerate(mult))):
        for i in range(nrb + 1):
            n += res(ch + chans.pop(), mc * m)
            ch = mc * m
            n += attn(ch) if ds in attn_ds else 0
            if lvl and i == nrb:
                n += 9 * ch * ch + ch
                ds //= 2
    return n + 2 * ch + 9 * mc * cout + cout


def derived_vq_params(ch, ch_mult, nrb, z, embed_dim, n_embed, in_ch=3, out_ch=3):
    """ldm Encoder + Decoder (no attention except the middle), quant convs, codebook."""
    def res(ci, co):
        return 2 * ci + 9 * ci * co + co + 2 * co + 9 * co * co + co + (0 if ci == co else ci * co + co)

    def attn(c):  # GN + q, k, v, proj_out 1x1 convs
        return 2 * c + 4 * (c * c + c)

    enc, bi = 9 * in_ch * ch + ch, ch
    for i, m in enumerate(ch_mult):
        for _ in range(nrb):
            enc += res(bi, ch * m)
            bi = ch * m
        if i != len(ch_mult) - 1:
            enc += 9 * bi * bi + bi
    enc += 2 * res(bi, bi) + attn(bi) + 2 * bi + 9 * bi * z + z
    bi = ch * ch_mult[-1]
    dec = 9 * z * bi + bi + 2 * res(bi, bi) + attn(bi)
    for i in reversed(range(len(ch_mult))):
        for _ in range(nrb + 1):
            dec += res(bi, ch * ch_mult[i])
            bi = ch * ch_mult[i]
        if i != 0:
            dec += 9 * bi * bi + bi
    dec += 2 * bi + 9 * bi * out_ch + out_ch
    quant = (z * embed_dim + embed_dim) + (embed_dim * z + z)
    return enc + dec + quant + n_embed * embed_dim


class ParameterCounts(unittest.TestCase):
    """The full FFHQ LDM-VQ-4 architecture, random init (builds in ~5 s)."""

    QUOTED_UNET = 274_056_163
    QUOTED_VQ = 55_322_782

    def test_counts(self):
        cfg = config.load(synthetic.FFHQ_CONFIG)
        unet, fs = build.build(cfg)
        derived_u = derived_unet_params(224, (1, 2, 3, 4), 2, {8, 4, 2}, 3, 3)
        derived_v = derived_vq_params(128, (1, 2, 4), 2, 3, 3, 8192)
        self.assertEqual(derived_u, self.QUOTED_UNET)
        self.assertEqual(derived_v, self.QUOTED_VQ)
        self.assertEqual(build.count(unet), derived_u)
        self.assertEqual(build.count(fs), derived_v)
        parts = build.export_parts(unet, fs)
        # The exported halves split the autoencoder without sharing or losing a tensor.
        self.assertEqual(build.count(parts["encoder"]) + build.count(parts["decoder"]), derived_v)
        self.assertEqual(build.count(parts["decoder"]) - build.count(fs.decoder), 8192 * 3 + 3 * 3 + 3)


class ConfigParsing(unittest.TestCase):
    def test_ffhq_values(self):
        cfg = config.load(synthetic.FFHQ_CONFIG)
        self.assertEqual(cfg.first_stage, "vq")
        self.assertEqual((cfg.embed_dim, cfg.n_embed, cfg.downsampling), (3, 8192, 4))
        self.assertEqual(cfg.default_image_size, 256)
        self.assertEqual((cfg.timesteps, cfg.linear_start, cfg.linear_end), (1000, 0.0015, 0.0195))
        self.assertEqual(cfg.unet["attention_resolutions"], [8, 4, 2])
        self.assertEqual(cfg.scale_factor, 1.0)

    def _refused(self, edit, needle):
        import yaml
        with open(synthetic.TINY_CONFIG) as f:
            raw = yaml.safe_load(f)
        edit(raw["model"]["params"])
        with self.assertRaises(config.ConfigError) as cm:
            config.from_dict(raw)
        self.assertIn(needle, str(cm.exception))

    def test_refusals(self):
        self._refused(lambda p: p.update(cond_stage_config={"target": "x"}), "unconditional")
        self._refused(lambda p: p.update(beta_schedule="cosine"), "cosine")
        self._refused(lambda p: p.update(parameterization="x0"), "x0")
        self._refused(lambda p: p["unet_config"]["params"].update(use_spatial_transformer=True),
                      "use_spatial_transformer")
        self._refused(lambda p: p["unet_config"]["params"].update(bogus=1), "bogus")
        self._refused(lambda p: p["first_stage_config"].update(target="ldm.models.autoencoder.X"),
                      "not supported")


class CheckpointExport(unittest.TestCase):
    """Synthetic checkpoint of the reduced config through the exporter."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="plorg-ldm-test-")
        cls.cfg = config.load(synthetic.TINY_CONFIG)
        cls.marker = os.path.join(cls.tmp, "code-ran")
        cls.ck, cls.models = synthetic.checkpoint_dict(cls.cfg, marker=cls.marker)
        cls.ckpt = cls.save(cls.ck, "model.ckpt")
        cls.bundle = os.path.join(cls.tmp, "bundle")
        cls.man = export.export(export.Options(config=synthetic.TINY_CONFIG, ckpt=cls.ckpt,
                                               out=cls.bundle, check_double=True, log=QUIET))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def save(cls, ck, name):
        path = os.path.join(cls.tmp, name)
        torch.save(ck, path)
        return path

    def modified(self, name, edit):
        ck = {**self.ck, "state_dict": dict(self.ck["state_dict"])}
        edit(ck["state_dict"])
        return self.save(ck, name)

    def run_cli(self, *args):
        return export_ldm.main(["--config", synthetic.TINY_CONFIG, *args])

    def test_restricted_unpickling(self):
        self.assertFalse(os.path.exists(self.marker), "unpickling ran code from the checkpoint")
        skipped = self.man["provenance"]["unpickled_as_placeholders"]
        self.assertIn("synthetic.LightningHyperParams", skipped)
        self.assertTrue(any(s.endswith(".mkdir") for s in skipped), skipped)

    def test_manifest(self):
        with open(os.path.join(self.bundle, "model.json")) as f:
            man = json.load(f)
        prov = man["provenance"]
        self.assertEqual(prov["source_sha256"], export.sha256(self.ckpt))
        self.assertEqual(prov["ema"], "used")
        self.assertEqual(prov["ema_num_updates"], 1234)
        self.assertEqual((prov["global_step"], prov["epoch"]), (4321, 7))
        self.assertEqual(prov["schedule_buffers_checked"], ["betas", "alphas_cumprod"])
        self.assertEqual(man["latent_shape"], [3, 8, 8])
        self.assertEqual(man["image_size"], 32)
        self.assertEqual(man["first_stage"], "vq")
        self.assertEqual(man["schedule"], {"num_timesteps": 1000, "beta_schedule": "linear",
                                           "beta_start": 0.0015, "beta_end": 0.0195,
                                           "parameterization": "eps"})
        parts = build.export_parts(self.models["ema"], self.models["first_stage"])
        self.assertEqual(man["parameters"], {k: build.count(m) for k, m in parts.items()})
        self.assertEqual(man["torch_version"], torch.__version__)

    def _bundle_matches(self, bundle, unet, fs):
        parts = build.export_parts(unet, fs)
        ins = torchscript.probe_inputs(fs, (3, 8, 8), 32, 3, seed=11)
        for k in parts:
            m = torch.jit.load(os.path.join(bundle, f"{k}.pt"))
            with torch.no_grad():
                err = torchscript.rel_err(m(*ins[k]), parts[k](*ins[k]))
            self.assertLessEqual(err, torchscript.RTOL_SAME, k)

    def test_ema_weights_exported(self):
        self._bundle_matches(self.bundle, self.models["ema"], self.models["first_stage"])
        # ...and not the training weights (seeded differently): the check above is not vacuous.
        ins = torchscript.probe_inputs(self.models["first_stage"], (3, 8, 8), 32, 1, seed=11)
        m = torch.jit.load(os.path.join(self.bundle, "unet.pt"))
        with torch.no_grad():
            self.assertGreater(torchscript.rel_err(m(*ins["unet"]), self.models["train"](*ins["unet"])), 1e-2)

    def test_no_ema_flag_and_absent_ema(self):
        out = os.path.join(self.tmp, "no-ema")
        self.assertEqual(self.run_cli("--ckpt", self.ckpt, "--out", out, "--no-ema"), 0)
        self._bundle_matches(out, self.models["train"], self.models["first_stage"])
        with open(os.path.join(out, "model.json")) as f:
            self.assertEqual(json.load(f)["provenance"]["ema"], "present, not used (--no-ema)")
        plain = self.modified("plain.ckpt", lambda sd: [sd.pop(k) for k in list(sd) if k.startswith("model_ema.")])
        out2 = os.path.join(self.tmp, "plain")
        self.assertEqual(self.run_cli("--ckpt", plain, "--out", out2), 0)
        with open(os.path.join(out2, "model.json")) as f:
            self.assertEqual(json.load(f)["provenance"]["ema"], "absent")
        self._bundle_matches(out2, self.models["train"], self.models["first_stage"])

    def test_missing_key(self):
        gone = "model.diffusion_model.middle_block.1.qkv.weight"
        path = self.modified("missing.ckpt", lambda sd: sd.pop(gone))
        sd, _ = checkpoint.read(path)
        unet, fs = build.build(self.cfg)
        with self.assertRaises(checkpoint.CheckpointError) as cm:
            checkpoint.load_into(sd, unet, fs)
        self.assertEqual(cm.exception.missing, [gone])
        self.assertIn(gone, str(cm.exception))
        out = os.path.join(self.tmp, "never")
        self.assertEqual(self.run_cli("--ckpt", path, "--out", out), 1)
        self.assertFalse(os.path.exists(out))

    def test_unexpected_key(self):
        extra = "model.diffusion_model.label_emb.weight"
        path = self.modified("extra.ckpt", lambda sd: sd.update({extra: torch.zeros(10, 128)}))
        sd, _ = checkpoint.read(path)
        unet, fs = build.build(self.cfg)
        with self.assertRaises(checkpoint.CheckpointError) as cm:
            checkpoint.load_into(sd, unet, fs)
        self.assertEqual(cm.exception.unexpected, [extra])
        self.assertIn(extra, str(cm.exception))
        self.assertEqual(self.run_cli("--ckpt", path, "--out", os.path.join(self.tmp, "never")), 1)

    def test_shape_mismatch_and_partial_ema(self):
        key = "first_stage_model.quantize.embedding.weight"
        sd = dict(self.ck["state_dict"])
        sd[key] = torch.zeros(65, 3)
        unet, fs = build.build(self.cfg)
        with self.assertRaises(checkpoint.CheckpointError) as cm:
            checkpoint.load_into(sd, unet, fs)
        self.assertEqual(len(cm.exception.mismatched), 1)
        self.assertIn(key, cm.exception.mismatched[0])
        sd = dict(self.ck["state_dict"])
        gone = checkpoint.ema_key("out.2.weight")
        del sd[gone]
        with self.assertRaises(checkpoint.CheckpointError) as cm:
            checkpoint.load_into(sd, unet, fs)
        self.assertEqual(cm.exception.missing, [gone])
        report = checkpoint.load_into(sd, unet, fs, use_ema=False)  # --no-ema accepts it
        self.assertTrue(report.ema.startswith("present"))

    def test_schedule_mismatch(self):
        import numpy as np
        wrong = np.linspace(0.0015 ** 0.5, 0.0155 ** 0.5, 1000) ** 2
        path = self.modified("sched.ckpt", lambda sd: sd.update(betas=torch.tensor(wrong, dtype=torch.float32)))
        with self.assertRaises(export.ExportError) as cm:
            export.export(export.Options(config=synthetic.TINY_CONFIG, ckpt=path,
                                         out=os.path.join(self.tmp, "never"), log=QUIET))
        self.assertIn("betas", str(cm.exception))

    def test_refuses_to_replace_a_non_bundle(self):
        keep = os.path.join(self.tmp, "precious")
        os.makedirs(keep)
        with open(os.path.join(keep, "notes.txt"), "w") as f:
            f.write("x")
        self.assertEqual(self.run_cli("--ckpt", self.ckpt, "--out", keep), 1)
        self.assertTrue(os.path.exists(os.path.join(keep, "notes.txt")))

    def test_usage_error_exit_code(self):
        with self.assertRaises(SystemExit) as cm:
            export_ldm.main(["--config", synthetic.TINY_CONFIG, "--out", "x"])  # no --ckpt/--random
        self.assertEqual(cm.exception.code, 2)


class StraightThrough(unittest.TestCase):
    """d/dz <g, Decode(z)> equals the gradient of post_quant_conv + decoder at q(z)."""

    def test_gradient(self):
        cfg = config.load(synthetic.TINY_CONFIG)
        _, fs = synthetic.make_models(cfg, 5)
        dec = fs.decoder_part()
        g = torch.Generator().manual_seed(1)
        z = torch.randn(2, 3, 8, 8, generator=g, requires_grad=True)
        gx = torch.randn(2, 3, 32, 32, generator=g)
        (grad_st,) = torch.autograd.grad((dec(z) * gx).sum(), z)
        zq = fs.quantize.nearest(z.detach()).requires_grad_(True)
        (grad_ref,) = torch.autograd.grad((fs.decoder(fs.post_quant_conv(zq)) * gx).sum(), zq)
        # The forward value is z + (q(z) - z), which rounds to q(z) within an ulp of |z|, so
        # the two gradients are taken at points 1e-7 apart: equal to ~1e-6 relative.
        self.assertLessEqual(torchscript.rel_err(grad_st, grad_ref), 1e-5)
        self.assertGreater(grad_ref.abs().max().item(), 0.0)
        # The quantiser really quantises (the value is q(z), not z).
        with torch.no_grad():
            self.assertLessEqual(torchscript.rel_err(dec(z), fs.decoder(fs.post_quant_conv(zq))), 1e-5)
            self.assertGreater(torchscript.rel_err(dec(z), fs.decoder(fs.post_quant_conv(z))), 1e-3)
        # The traced decoder (what the shim runs) backpropagates the same way.
        traced = torch.jit.trace(VQDecode(fs.quantize, fs.post_quant_conv, fs.decoder), (z.detach(),),
                                 check_trace=False)
        (grad_tr,) = torch.autograd.grad((traced(z) * gx).sum(), z)
        self.assertLessEqual(torchscript.rel_err(grad_tr, grad_ref), 1e-5)


class KLFirstStage(unittest.TestCase):
    """A KL model (scale_by_std: scale factor from the checkpoint) through the exporter."""

    def test_kl_round_trip(self):
        import yaml
        with open(synthetic.TINY_CONFIG) as f:
            raw = yaml.safe_load(f)
        p = raw["model"]["params"]
        p["scale_by_std"] = True
        p["first_stage_config"] = copy.deepcopy(p["first_stage_config"])
        fsc = p["first_stage_config"]
        fsc["target"] = "ldm.models.autoencoder.AutoencoderKL"
        del fsc["params"]["n_embed"]
        fsc["params"]["ddconfig"]["double_z"] = True
        p["unet_config"]["params"].update(use_scale_shift_norm=True, resblock_updown=True)
        tmp = tempfile.mkdtemp(prefix="plorg-kl-test-")
        try:
            cfg_path = os.path.join(tmp, "kl.yaml")
            with open(cfg_path, "w") as f:
                yaml.safe_dump(raw, f)
            cfg = config.load(cfg_path)
            ck, models = synthetic.checkpoint_dict(cfg)
            ck["state_dict"]["scale_factor"] = torch.tensor(0.25)
            ckpt = os.path.join(tmp, "kl.ckpt")
            torch.save(ck, ckpt)
            man = export.export(export.Options(config=cfg_path, ckpt=ckpt, log=QUIET,
                                               out=os.path.join(tmp, "b")))
            self.assertEqual(man["first_stage"], "kl")
            self.assertEqual(man["scale_factor"], 0.25)
            self.assertEqual(man["provenance"]["scale_factor_source"], "checkpoint")
            enc = torch.jit.load(os.path.join(tmp, "b", "encoder.pt"))
            x = torch.rand(2, 3, 32, 32) * 2 - 1
            fs = models["first_stage"]
            with torch.no_grad():
                mean = fs.quant_conv(fs.encoder(x))[:, :3]  # the posterior mean
                self.assertLessEqual(torchscript.rel_err(enc(x), mean), torchscript.RTOL_SAME)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class LpipsExport(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="plorg-lpips-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _round_trip(self, net, size):
        bb, lin = synthetic.lpips_files(net, self.tmp)
        out = os.path.join(self.tmp, f"lpips-{net}")
        self.assertEqual(export_lpips.main(["--net", net, "--lin", lin, "--backbone", bb, "--out", out]), 0)
        m = torch.jit.load(os.path.join(out, "lpips.pt"))
        g = torch.Generator().manual_seed(2)
        x = torch.rand(3, 3, size, size, generator=g) * 2 - 1
        y = (x + 0.3 * torch.randn(3, 3, size, size, generator=g)).clamp(-1, 1)
        with torch.no_grad():
            dxx, dxy, dyx = m(x, x), m(x, y), m(y, x)
        self.assertEqual(tuple(dxy.shape), (3,))
        self.assertTrue(torch.equal(dxx, torch.zeros(3)), dxx)  # identical features: exactly 0
        self.assertTrue(torch.equal(dxy, dyx))                  # (a-b)^2 == (b-a)^2 exactly
        self.assertTrue(bool((dxy > 0).all()), dxy)             # non-negative weights, x != y
        with open(os.path.join(out, "lpips.json")) as f:
            man = json.load(f)
        self.assertEqual((man["net"], man["format_version"]), (net, 1))
        return bb, lin

    def test_alex(self):
        bb, lin = self._round_trip("alex", 64)
        # Strict weights: a missing linear layer and a negative weight are refused.
        sd = torch.load(lin)
        del sd["lin3.model.1.weight"]
        torch.save(sd, lin)
        self.assertEqual(export_lpips.main(["--net", "alex", "--lin", lin, "--backbone", bb,
                                            "--out", os.path.join(self.tmp, "bad")]), 1)
        with self.assertRaises(lpips.WeightError) as cm:
            lpips.load_weights(lpips.LPIPS("alex"), "alex", torch.load(bb), sd)
        self.assertIn("lin3.model.1.weight", str(cm.exception))
        sd["lin3.model.1.weight"] = -torch.rand(1, 256, 1, 1)
        with self.assertRaises(lpips.WeightError):
            lpips.load_weights(lpips.LPIPS("alex"), "alex", torch.load(bb), sd)
        with self.assertRaises(lpips.WeightError):  # the VGG files do not fit AlexNet
            lpips.load_weights(lpips.LPIPS("vgg"), "vgg", torch.load(bb), sd)

    def test_vgg(self):
        self._round_trip("vgg", 32)


@unittest.skipUnless(SLOW, "full-size export: set PLORG_SLOW_TESTS=1")
class FullSizeExport(unittest.TestCase):
    """The full FFHQ LDM-VQ-4 architecture (random weights) exports and verifies."""

    def test_full_size_random(self):
        tmp = tempfile.mkdtemp(prefix="plorg-ffhq-random-")
        try:
            out = os.path.join(tmp, "ffhq-random")
            man = export.export(export.Options(config=synthetic.FFHQ_CONFIG, out=out, log=print))
            self.assertEqual(man["parameters"]["unet"], ParameterCounts.QUOTED_UNET)
            self.assertEqual(man["parameters"]["encoder"] + man["parameters"]["decoder"],
                             ParameterCounts.QUOTED_VQ)
            self.assertEqual(man["latent_shape"], [3, 64, 64])
            self.assertEqual(man["image_size"], 256)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
