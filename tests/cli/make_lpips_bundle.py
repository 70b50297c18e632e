#!/usr/bin/python3
"""Writes an LPIPS (AlexNet) bundle with random weights for the CLI tests (meson runs this at
build time: exporting needs torch). The weights are random, so the distances mean nothing;
the tests compare the CLI's numbers with the shim's for the same images.

  make_lpips_bundle.py OUT STAMP     (STAMP is touched when OUT is complete)
"""
import os
import sys
import tempfile

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "models"))
sys.path.insert(0, os.path.join(SOURCE, "models", "tests"))

import torch  # noqa: E402

import export_lpips  # noqa: E402
import synthetic  # noqa: E402


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        backbone, lin = synthetic.lpips_files("alex", tmp, seed=7)
        export_lpips.export("alex", lin, backbone, argv[1], log=lambda *_: None)
    with open(argv[2], "w") as f:
        f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
