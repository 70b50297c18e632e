#!/usr/bin/env python3
"""Print 1 or 0: the _GLIBCXX_USE_CXX11_ABI a libtorch folder was built with.

  torch_abi.py TORCH_DIR     (TORCH_DIR holds include/, lib/ and usually share/cmake/Torch/)

Code that passes std::string & co. to libtorch must be compiled with the same value, or it
fails to link (or worse, links and crashes). Older PyTorch wheels use the old ABI (0).
Needs no torch: reads TorchConfig.cmake's TORCH_CXX_FLAGS, else looks for "__cxx11" in
libc10.so (new-ABI libraries mangle std::__cxx11 types into their symbol names).
"""
import os
import re
import sys


def abi(torch_dir):
    cfg = os.path.join(torch_dir, "share", "cmake", "Torch", "TorchConfig.cmake")
    if os.path.exists(cfg):
        with open(cfg, errors="replace") as f:
            m = re.search(r"_GLIBCXX_USE_CXX11_ABI=([01])", f.read())
        if m:
            return m.group(1)
    lib = os.path.join(torch_dir, "lib", "libc10.so")
    with open(lib, "rb") as f:
        return "1" if b"__cxx11" in f.read() else "0"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        print(abi(sys.argv[1]))
    except OSError as e:
        sys.exit(f"torch_abi.py: {e}")
