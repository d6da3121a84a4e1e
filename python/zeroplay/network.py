"""The policy-value ResNet of shared/model/network.h as a plain torch.nn.Module, and the
checkpoint format (docs/formats.md) read and written from Python.

The module paths equal the C++ module's parameter names ("blocks.0.conv1.weight", ...), so a
checkpoint's weights blob (a TorchScript archive of the parameters and buffers, written by
LibTorch's torch::save) loads with torch.jit.load and state_dict(), and a scripted copy of this
module is a blob LibTorch's torch::load reads back.
"""

import io

import torch
from torch import nn
import torch.nn.functional as F

import _zeroplay


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + x)


class PolicyValueNet(nn.Module):
    """forward(obs [N, P, H, W]) -> (policy logits [N, A], value [N, 1] in [-1, 1] for the
    player to move). Logits are raw: masking illegal moves and the softmax are the caller's."""

    def __init__(self, obs_shape, num_actions, blocks, channels, policy_channels=2,
                 value_channels=1, value_hidden=64):
        super().__init__()
        planes, height, width = obs_shape
        cells = height * width
        self.input_conv = nn.Conv2d(planes, channels, 3, padding=1, bias=False)
        self.input_bn = nn.BatchNorm2d(channels)
        self.blocks = nn.ModuleList([ResidualBlock(channels) for _ in range(blocks)])
        self.policy_conv = nn.Conv2d(channels, policy_channels, 1, bias=False)
        self.policy_bn = nn.BatchNorm2d(policy_channels)
        self.policy_fc = nn.Linear(policy_channels * cells, num_actions)
        self.value_conv = nn.Conv2d(channels, value_channels, 1, bias=False)
        self.value_bn = nn.BatchNorm2d(value_channels)
        self.value_fc1 = nn.Linear(value_channels * cells, value_hidden)
        self.value_fc2 = nn.Linear(value_hidden, 1)

    def forward(self, x):
        h = F.relu(self.input_bn(self.input_conv(x)))
        for block in self.blocks:
            h = block(h)
        p = F.relu(self.policy_bn(self.policy_conv(h)))
        p = self.policy_fc(p.flatten(1))
        v = F.relu(self.value_bn(self.value_conv(h)))
        v = F.relu(self.value_fc1(v.flatten(1)))
        v = torch.tanh(self.value_fc2(v))
        return p, v


SHAPE_KEYS = ("blocks", "channels", "policy_channels", "value_channels", "value_hidden")


def from_meta(meta):
    """An initialised (untrained) network of the shape a checkpoint's metadata describes."""
    return PolicyValueNet(tuple(meta["obs_shape"]), meta["num_actions"],
                          **{k: meta[k] for k in SHAPE_KEYS})


def load_bytes(data, source="checkpoint"):
    """A PolicyValueNet from checkpoint bytes; its metadata is in `.meta`."""
    meta, weights = _zeroplay.decode_checkpoint(data)
    return _from_blob(meta, weights, source)


def load(path):
    meta, weights = _zeroplay.read_checkpoint(str(path))
    return _from_blob(meta, weights, str(path))


def _from_blob(meta, weights, source):
    try:
        archive = torch.jit.load(io.BytesIO(weights), map_location="cpu")
        state = archive.state_dict()
    except Exception as e:  # torch raises RuntimeError with a multi-line message
        raise _zeroplay.FormatError("%s: checkpoint weights do not load (%s)"
                                    % (source, str(e).splitlines()[0] if str(e) else e)) from None
    net = from_meta(meta)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise _zeroplay.FormatError("%s: checkpoint weights do not fit the network (%s)"
                                    % (source, " ".join(str(e).split()))) from None
    net.eval()
    net.meta = dict(meta)
    return net


def meta_of(net, game=None):
    """The checkpoint metadata of `net`: its own .meta, or built from `game` and its shape."""
    if getattr(net, "meta", None):
        return dict(net.meta)
    if game is None:
        raise _zeroplay.ConfigError("the network has no .meta: pass the game it is for")
    return {"game": game.name, "game_params": game.params,
            "obs_shape": game.observation_shape, "num_actions": game.num_actions,
            "blocks": len(net.blocks), "channels": net.input_conv.out_channels,
            "policy_channels": net.policy_conv.out_channels,
            "value_channels": net.value_conv.out_channels,
            "value_hidden": net.value_fc1.out_features}


def weights_blob(net):
    """The checkpoint's weights blob for `net`: a TorchScript archive of the same module paths,
    which LibTorch's torch::load reads (fp32, CPU)."""
    copy = from_meta(meta_of(net))
    copy.load_state_dict({k: v.detach().float().cpu() for k, v in net.state_dict().items()})
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(copy.eval()), buf)
    return buf.getvalue()


def save(net, path, training_step=0, model_version=0, game=None):
    meta = meta_of(net, game)
    meta["training_step"] = int(training_step)
    meta["model_version"] = int(model_version)
    if not hasattr(net, "meta") or not net.meta:
        net.meta = dict(meta)
    data = _zeroplay.encode_checkpoint(meta, weights_blob(net))
    with open(path, "wb") as f:
        f.write(data)
    return meta


def evaluator(net):
    """A Search evaluator (obs, legal) -> (logits, value) numpy arrays, running `net` on the
    CPU without gradients."""
    def run(obs, legal):
        del legal  # the search masks illegal moves itself
        with torch.inference_mode():
            logits, value = net(torch.from_numpy(obs))
        return logits.float().numpy(), value.float().reshape(-1).numpy()
    return run


def policy_value(net, obs, legal):
    """What the C++ backend computes (nn::Backend): probabilities with illegal moves masked
    before the softmax and set to exactly 0, and values [N]; numpy in, numpy out."""
    with torch.inference_mode():
        logits, value = net(torch.from_numpy(obs))
        illegal = ~torch.from_numpy(legal)
        probs = torch.softmax(logits.float().masked_fill(illegal, float("-inf")), 1)
        probs = probs.masked_fill(illegal, 0.0)
    return probs.numpy(), value.float().reshape(-1).numpy()
