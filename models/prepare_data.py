#!/usr/bin/python3
"""Fetch and prepare the emoji face data set for the bundled default model.

Sources (all fetched with `npm pack`, all freely licensed, see NOTICE):
  * emoji-datasource-twitter         -- Twitter's twemoji artwork, CC-BY 4.0
  * emoji-datasource-google          -- Google's Noto emoji artwork, Apache 2.0
  * @iconify-json/fluent-emoji-flat  -- Microsoft's Fluent Emoji (flat), MIT;
    SVG bodies, rasterised here with rsvg-convert (Debian's librsvg2-bin)
Apple's set is not freely licensed and is never used. OpenMoji is left out on
purpose: it is kept as a style the model never saw (see models/README.md).
The emoji list (names, subcategories, skin tones) comes from emoji-datasource's
emoji.json for every vendor, so the split is the same for all of them.

Face-like emoji are the "face-*" subcategories and the person / gesture / role /
fantasy subcategories, with every skin-tone variation. The split is made by
*base emoji* (all vendors and skin tones of one emoji land in the same split),
so that a held-out image is never a recoloured copy of a training image.

Writes (into --out, default models/data):
  train_64.npy  uint8 N x 64 x 64 x 3   (composited on white)
  test_64.npy   uint8 M x 64 x 64 x 3
  split.json    the names in each split
and, with --bundle-dir, copies a few held-out images as PNG for the app's picker.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

import numpy as np
from PIL import Image

PACKAGES = {
    "twitter": ("emoji-datasource-twitter", "16.0.0"),
    "google": ("emoji-datasource-google", "16.0.0"),
}
FLUENT_PACKAGE = ("@iconify-json/fluent-emoji-flat", "1.2.6")
VENDORS = ("twitter", "google", "fluent")
FACE_SUBCATEGORIES_PREFIX = ("face-",)
FACE_SUBCATEGORIES = {"cat-face", "monkey-face", "person", "person-gesture",
                      "person-role", "person-fantasy"}
HELD_OUT_FRACTION = 0.08


def fetch_package(name, version, cache):
    """npm pack NAME@VERSION into cache/ and unpack; returns the package dir."""
    dest = os.path.join(cache, f"{name.replace('/', '+')}-{version}")
    if os.path.isdir(dest):
        return dest
    os.makedirs(cache, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        subprocess.run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=tmp,
                       check=True, stdout=subprocess.DEVNULL)
        tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")]
        if len(tgz) != 1:
            sys.exit(f"npm pack {name}@{version} produced no tarball")
        with tarfile.open(os.path.join(tmp, tgz[0])) as tar:
            tar.extractall(tmp)
        os.rename(os.path.join(tmp, "package"), dest)
    return dest


def is_face_like(entry):
    sub = entry.get("subcategory", "")
    return sub in FACE_SUBCATEGORIES or sub.startswith(FACE_SUBCATEGORIES_PREFIX)


def load_rgb_on_white(path, size):
    img = Image.open(path).convert("RGBA")
    if img.size != (size, size):
        img = img.resize((size, size), Image.LANCZOS)
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, img).convert("RGB"), dtype=np.uint8)


def held_out(base_code):
    # Stable hash of the base emoji decides the split: reproducible everywhere.
    h = int(hashlib.sha256(base_code.encode()).hexdigest()[:8], 16)
    return (h % 10000) < HELD_OUT_FRACTION * 10000


def face_images(entries):
    """(unified code of the base emoji, code of the image) of every face-like image."""
    for e in entries:
        if not is_face_like(e):
            continue
        yield e["unified"], e
        for v in e.get("skin_variations", {}).values():
            yield e["unified"], v


def collect(pkg_dir, vendor, size):
    entries = json.load(open(os.path.join(pkg_dir, "emoji.json")))
    img_dir = os.path.join(pkg_dir, "img", vendor, "64")
    items = []  # (split, name, array)
    for e in entries:
        if not is_face_like(e) or not e.get(f"has_img_{vendor}", False):
            continue
        files = [e["image"]] + [v["image"] for v in e.get("skin_variations", {}).values()
                                if v.get(f"has_img_{vendor}", True)]
        for f in files:
            p = os.path.join(img_dir, f)
            if not os.path.exists(p):
                continue
            split = "test" if held_out(e["unified"]) else "train"
            items.append((split, f"{vendor}/{f}", load_rgb_on_white(p, size)))
    return items


def fluent_key(unified):
    # Iconify's chars.json: lower-case code points joined by '-', without VS16.
    return "-".join(c for c in unified.lower().split("-") if c != "fe0f")


def render_svg_on_white(svg, size):
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.svg"), os.path.join(tmp, "out.png")
        with open(src, "w") as f:
            f.write(svg)
        subprocess.run(["rsvg-convert", "-w", str(size), "-h", str(size),
                        "-b", "white", "-o", dst, src], check=True)
        return np.asarray(Image.open(dst).convert("RGB"), dtype=np.uint8)


def collect_fluent(pkg_dir, entries, size):
    """Fluent Emoji Flat images of the face-like emoji, named by their emoji.json image."""
    icons = json.load(open(os.path.join(pkg_dir, "icons.json")))
    chars = json.load(open(os.path.join(pkg_dir, "chars.json")))
    w, h = icons.get("width", 16), icons.get("height", 16)
    items = []
    for base, e in face_images(entries):
        name = chars.get(fluent_key(e["unified"]))
        icon = icons["icons"].get(name) if name else None
        if icon is None:
            continue
        iw, ih = icon.get("width", w), icon.get("height", h)
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{iw}" height="{ih}" '
               f'viewBox="{icon.get("left", 0)} {icon.get("top", 0)} {iw} {ih}">{icon["body"]}</svg>')
        split = "test" if held_out(base) else "train"
        items.append((split, f"fluent/{e['image']}", render_svg_on_white(svg, size)))
    return items


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=os.path.join(here, "data", "npm-cache"))
    ap.add_argument("--out", default=os.path.join(here, "data"))
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--bundle-dir", default=None,
                    help="copy held-out PNGs here (the app's image picker and tests)")
    ap.add_argument("--bundle-count", type=int, default=40)

    ap.add_argument("--vendors", default=",".join(VENDORS),
                    help="comma-separated subset of " + ",".join(VENDORS))
    args = ap.parse_args()

    vendors = args.vendors.split(",")
    if any(v not in VENDORS for v in vendors):
        sys.exit(f"--vendors: each must be one of {','.join(VENDORS)}")
    items = []
    for vendor in vendors:
        if vendor == "fluent":
            entries = json.load(open(os.path.join(
                fetch_package(*PACKAGES["twitter"], args.cache), "emoji.json")))
            got = collect_fluent(fetch_package(*FLUENT_PACKAGE, args.cache), entries, args.size)
        else:
            got = collect(fetch_package(*PACKAGES[vendor], args.cache), vendor, args.size)
        print(f"{vendor}: {len(got)} face-like images")
        items += got

    os.makedirs(args.out, exist_ok=True)
    split = {"train": [], "test": []}
    arrays = {"train": [], "test": []}
    for s, n, a in items:
        split[s].append(n)
        arrays[s].append(a)
    for s in ("train", "test"):
        np.save(os.path.join(args.out, f"{s}_{args.size}.npy"), np.stack(arrays[s]))
        print(f"{s}: {len(arrays[s])} images")
    with open(os.path.join(args.out, "split.json"), "w") as f:
        json.dump(split, f, indent=1)

    if args.bundle_dir:
        bundle_held_out(split["test"], arrays["test"], args.bundle_dir, args.bundle_count)


def skin_free(fname):
    """Emoji name without skin-tone modifiers: groups the variants of one emoji."""
    parts = fname[:-4].split("-")
    return "-".join(p for p in parts if p not in ("1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"))


def bundle_held_out(names, arrays, out_dir, count):
    """Copy `count` held-out images as PNG, spread over emoji, vendors and skin tones."""
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        if f.endswith(".png"):
            os.remove(os.path.join(out_dir, f))
    groups = {}
    for i, n in enumerate(names):
        vendor, fname = n.split("/")
        groups.setdefault(skin_free(fname), []).append(i)
    # Round-robin over the emoji groups, each group's entries in a stable shuffled order.
    order = {k: sorted(v, key=lambda i: hashlib.sha256(names[i].encode()).hexdigest())
             for k, v in sorted(groups.items())}
    picked = []
    while len(picked) < min(count, len(names)):
        for k in list(order):
            if order[k] and len(picked) < count:
                picked.append(order[k].pop(0))
    for i in picked:
        vendor, fname = names[i].split("/")
        Image.fromarray(arrays[i]).save(os.path.join(out_dir, f"{vendor}-{fname}"))
    print(f"bundled {len(picked)} held-out images in {out_dir}")


if __name__ == "__main__":
    main()
