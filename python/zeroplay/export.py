"""`zeroplay export CKPT --format onnx|torchscript --out FILE` (the C++ CLI runs
`python -m zeroplay.export ...`, cli/cmd_export.cpp).

Both files hold the network of the checkpoint, fp32: input "obs" [N, P, H, W] (N dynamic),
outputs "policy_logits" [N, A] (raw: mask illegal moves and softmax yourself) and "value"
[N, 1]. The TorchScript file carries the checkpoint's metadata as the extra file
"zeroplay.json"; the ONNX file carries it as metadata_props (key "zeroplay"). Errors are one
line on stderr, "zeroplay: error: ...", exit code 1.
"""

import argparse
import json
import os
import sys
import tempfile

import _zeroplay

FORMATS = ("onnx", "torchscript")


class ExportError(Exception):
    pass


def _check_writable(out):
    """Fails before the slow work when `out` cannot be written (its directory must exist)."""
    directory = os.path.dirname(os.path.abspath(out))
    if os.path.isdir(out):
        raise ExportError("cannot write %s: it is a directory" % out)
    try:
        fd, probe = tempfile.mkstemp(prefix=".zeroplay-export-", dir=directory)
    except OSError as e:
        raise ExportError("cannot write %s: %s" % (out, e.strerror or e)) from None
    os.close(fd)
    os.unlink(probe)


def _write_atomically(out, data):
    directory = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix=".zeroplay-export-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    except OSError as e:
        os.unlink(tmp)
        raise ExportError("cannot write %s: %s" % (out, e.strerror or e)) from None


def torchscript_bytes(net, meta):
    import io
    import torch
    from zeroplay import network
    copy = network.from_meta(meta)
    copy.load_state_dict(net.state_dict())
    scripted = torch.jit.script(copy.eval())
    buf = io.BytesIO()
    torch.jit.save(scripted, buf, _extra_files={"zeroplay.json": json.dumps(meta)})
    return buf.getvalue()


def onnx_bytes(net, meta):
    """The legacy TorchScript-based exporter (dynamo=False): it needs only torch and onnx,
    no onnxscript."""
    import io
    import warnings
    import onnx
    import torch
    example = torch.zeros((1,) + tuple(meta["obs_shape"]), dtype=torch.float32)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (example,), buf, dynamo=False, input_names=["obs"],
                          output_names=["policy_logits", "value"], opset_version=17,
                          dynamic_axes={"obs": {0: "batch"}, "policy_logits": {0: "batch"},
                                        "value": {0: "batch"}})
    model = onnx.load_from_string(buf.getvalue())
    entry = model.metadata_props.add()
    entry.key, entry.value = "zeroplay", json.dumps(meta)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def export(checkpoint, fmt, out, progress=print):
    if fmt not in FORMATS:
        raise ExportError("--format must be onnx or torchscript, got '%s'" % fmt)
    _zeroplay.read_checkpoint(checkpoint)  # missing or corrupt: fails before torch loads
    _check_writable(out)
    from zeroplay import network
    net = network.load(checkpoint)
    meta = dict(net.meta)
    data = onnx_bytes(net, meta) if fmt == "onnx" else torchscript_bytes(net, meta)
    _write_atomically(out, data)
    progress("exported %s (%s) to %s as %s, %d bytes"
             % (checkpoint, _zeroplay.describe_checkpoint(meta), out, fmt, len(data)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="zeroplay export")
    parser.add_argument("checkpoint")
    parser.add_argument("--format", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        export(args.checkpoint, args.format, args.out)
    except (ExportError, _zeroplay.Error) as e:
        print("zeroplay: error: %s" % e, file=sys.stderr)
        return 1
    except ImportError as e:
        print("zeroplay: error: export needs %s in the project's venv (run scripts/setup.sh)"
              % e.name, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
