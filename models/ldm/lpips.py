"""LPIPS (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric"), version 0.1, with an AlexNet or VGG-16 backbone: the network models/export_lpips.py
exports. Written for PLoRG Studio from the description of the lpips package
(richzhang/PerceptualSimilarity): inputs in [-1,1] are shifted/scaled to the backbone's
ImageNet statistics, features are taken after the ReLUs that end each of five slices, each
feature vector is unit-normalised over channels, squared differences are weighted per
channel by the non-negative 'lin' layers (1x1 convolutions without bias), averaged over
space and summed over the five layers.

Weight layouts accepted: the backbone as torchvision's state dict (features.N.weight/bias;
classifier.* is ignored), the linear layers as the lpips package's weights/v0.1/<net>.pth
(linK.model.1.weight; linK.model.0.weight from models saved without dropout).
"""
import torch
import torch.nn as nn

# torchvision 'features' indices of the convolutions and the slice each ReLU output ends.
# AlexNet: conv 0,3,6,8,10; LPIPS taps relu1..relu5 after convs 0,3,6,8,10.
# VGG-16:  conv 0,2,5,7,10,12,14,17,19,21,24,26,28; taps relu1_2, 2_2, 3_3, 4_3, 5_3.
ARCH = {
    "alex": {
        "convs": {0: (3, 64, 11, 4, 2), 3: (64, 192, 5, 1, 2), 6: (192, 384, 3, 1, 1),
                  8: (384, 256, 3, 1, 1), 10: (256, 256, 3, 1, 1)},
        "pools": {2, 5},          # MaxPool2d(3, stride 2) before convs 3 and 6
        "pool": (3, 2),
        "taps": (1, 4, 7, 9, 11),  # ReLU indices whose outputs are compared
    },
    "vgg": {
        "convs": {i: (ci, co, 3, 1, 1) for i, (ci, co) in {
            0: (3, 64), 2: (64, 64), 5: (64, 128), 7: (128, 128), 10: (128, 256),
            12: (256, 256), 14: (256, 256), 17: (256, 512), 19: (512, 512), 21: (512, 512),
            24: (512, 512), 26: (512, 512), 28: (512, 512)}.items()},
        "pools": {4, 9, 16, 23},   # MaxPool2d(2, stride 2)
        "pool": (2, 2),
        "taps": (3, 8, 15, 22, 29),
    },
}
CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}
# The lpips package's ScalingLayer: (x - shift) / scale per RGB channel.
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
EPS = 1e-10  # lpips.normalize_tensor's epsilon


class Backbone(nn.Module):
    """torchvision's '.features' Sequential up to the last tapped ReLU, returning the taps."""

    def __init__(self, net):
        super().__init__()
        a = ARCH[net]
        last = a["taps"][-1]
        layers = []
        for i in range(last + 1):
            if i in a["convs"]:
                ci, co, k, s, p = a["convs"][i]
                layers.append(nn.Conv2d(ci, co, k, stride=s, padding=p))
            elif i in a["pools"]:
                layers.append(nn.MaxPool2d(a["pool"][0], stride=a["pool"][1]))
            else:
                layers.append(nn.ReLU(inplace=False))
        self.features = nn.Sequential(*layers)
        self.taps = a["taps"]

    def forward(self, x):
        outs = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                outs.append(x)
        return outs


class Lin(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, channels, 1, 1))


class LPIPS(nn.Module):
    """forward(x, y: B x 3 x H x W in [-1,1]) -> distance per sample, shape [B]."""

    def __init__(self, net):
        super().__init__()
        if net not in ARCH:
            raise ValueError(f"net must be 'alex' or 'vgg', not {net!r}")
        self.net = Backbone(net)
        self.lins = nn.ModuleList([Lin(c) for c in CHANNELS[net]])
        self.register_buffer("shift", torch.tensor(SHIFT).reshape(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).reshape(1, 3, 1, 1))

    def forward(self, x, y):
        fx = self.net((x - self.shift) / self.scale)
        fy = self.net((y - self.shift) / self.scale)
        total = torch.zeros_like(x[:, 0, 0, 0])
        for a, b, lin in zip(fx, fy, self.lins):
            a = a / (torch.sqrt((a * a).sum(dim=1, keepdim=True)) + EPS)
            b = b / (torch.sqrt((b * b).sum(dim=1, keepdim=True)) + EPS)
            d = ((a - b) ** 2 * lin.weight).sum(dim=1)  # the 1x1 conv without bias
            total = total + d.mean(dim=(1, 2))
        return total


class WeightError(ValueError):
    pass


def load_weights(model, net, backbone_sd, lin_sd):
    """Fills model from the two user files' state dicts; strict about missing/unexpected."""
    a = ARCH[net]
    want = {}
    for i, (ci, co, k, _, _) in a["convs"].items():
        want[f"features.{i}.weight"] = (co, ci, k, k)
        want[f"features.{i}.bias"] = (co,)
    missing = [k for k in want if k not in backbone_sd]
    # Convolutions after the last tap (none for these two nets) and the classifier are unused.
    unexpected = [k for k in backbone_sd if k not in want and not k.startswith("classifier.")]
    bad = [f"{k}: {tuple(backbone_sd[k].shape)}, expected {s}" for k, s in want.items()
           if k in backbone_sd and tuple(backbone_sd[k].shape) != s]
    lin = {}
    for i, c in enumerate(CHANNELS[net]):
        for key in (f"lin{i}.model.1.weight", f"lin{i}.model.0.weight"):
            if key in lin_sd:
                lin[i] = (key, lin_sd[key])
                break
        else:
            missing.append(f"lin{i}.model.1.weight")
            continue
        if tuple(lin[i][1].shape) != (1, c, 1, 1):
            bad.append(f"{lin[i][0]}: {tuple(lin[i][1].shape)}, expected {(1, c, 1, 1)}")
    used = {v[0] for v in lin.values()}
    unexpected += [k for k in lin_sd if k not in used]
    if missing or unexpected or bad:
        raise WeightError("LPIPS weights do not match the '" + net + "' network:"
                          + "".join(f"\n  missing: {k}" for k in missing)
                          + "".join(f"\n  unexpected: {k}" for k in unexpected)
                          + "".join(f"\n  shape: {k}" for k in bad))
    neg = [lin[i][0] for i in lin if (lin[i][1] < 0).any()]
    if neg:
        # LPIPS clamps these at 0 in training; negative entries mean a wrong file.
        raise WeightError("negative linear-layer weights (LPIPS's are >= 0): " + ", ".join(neg))
    with torch.no_grad():
        for name, p in model.net.named_parameters():
            p.copy_(backbone_sd[name].float())
        for i, l in enumerate(model.lins):
            l.weight.copy_(lin[i][1].float())
