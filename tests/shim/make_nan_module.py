#!/usr/bin/python3
"""Overwrite one weight of a TorchScript file with NaN (for the shim's load test).

  make_nan_module.py FILE.pt

Rewrites FILE.pt in place; the C test runs this on a temporary copy of the bundle.
"""
import sys

import torch


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    m = torch.jit.load(sys.argv[1])
    name, p = next((n, p) for n, p in m.named_parameters() if p.is_floating_point())
    with torch.no_grad():
        p.view(-1)[0] = float("nan")
    torch.jit.save(m, sys.argv[1])
    print(f"{sys.argv[1]}: {name}[0] = nan")


if __name__ == "__main__":
    main()
