#!/usr/bin/env python3
"""Write model files for the unsafe-model scanner's tests, with real Python pickle (standard library only).

Usage: model_fixtures.py OUTDIR. Writes, for every pickle protocol 0..5, a benign pickle and a malicious one
(whose __reduce__ calls os.system), a pickle importing through the memo (STACK_GLOBAL), zip-wrapped files in
PyTorch's layout (archive/data.pkl), a legacy multi-pickle file, a safetensors file, and a manifest.json listing
the verdict each file must get. Nothing here is ever unpickled.
"""
import collections
import datetime
import json
import os
import pickle
import struct
import sys
import zipfile


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Evaluator:
    def __reduce__(self):
        return (eval, ("1+1",))


class Custom:
    """A class outside any allowlist: the scanner must call it unknown, not safe."""

    def __init__(self):
        self.weights = [0.1, 0.2]


def main(out):
    os.makedirs(out, exist_ok=True)
    expect = {}
    benign = {
        "weights": [0.25, -1.5, 3.0],
        "name": "fraud-scorer",
        "shape": (3,),
        "tags": {"stage", "production"},
        "trained": datetime.datetime(2026, 1, 2, 3, 4, 5),
        "order": collections.OrderedDict(a=1, b=2),
        "blob": b"\x00\x01binary",
    }
    for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
        with open(os.path.join(out, f"benign-p{proto}.pkl"), "wb") as f:
            pickle.dump(benign, f, protocol=proto)
        expect[f"benign-p{proto}.pkl"] = "safe"
        with open(os.path.join(out, f"exploit-p{proto}.pkl"), "wb") as f:
            pickle.dump({"model": Exploit()}, f, protocol=proto)
        expect[f"exploit-p{proto}.pkl"] = "dangerous"
        with open(os.path.join(out, f"custom-p{proto}.joblib"), "wb") as f:
            pickle.dump(Custom(), f, protocol=proto)
        expect[f"custom-p{proto}.joblib"] = "suspicious"
    with open(os.path.join(out, "eval-p4.pickle"), "wb") as f:
        pickle.dump([Evaluator(), Evaluator()], f, protocol=4)
    expect["eval-p4.pickle"] = "dangerous"
    # PyTorch's zip layout: <name>/data.pkl plus raw storages.
    for name, obj, verdict in [("model-benign.pt", benign, "safe"), ("model-exploit.pth", Exploit(), "dangerous")]:
        with zipfile.ZipFile(os.path.join(out, name), "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("archive/data.pkl", pickle.dumps(obj, protocol=2))
            z.writestr("archive/version", "3\n")
            z.writestr("archive/data/0", b"\x00" * 64)
        expect[name] = verdict
    with zipfile.ZipFile(os.path.join(out, "compressed.bin"), "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", pickle.dumps(benign, protocol=2))
    expect["compressed.bin"] = "unreadable"
    # Legacy PyTorch files: several pickles back to back.
    with open(os.path.join(out, "legacy.ckpt"), "wb") as f:
        pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"protocol_version": 1001}, f, protocol=2)
        pickle.dump(Exploit(), f, protocol=2)
    expect["legacy.ckpt"] = "dangerous"
    # safetensors: header length, JSON header, data.
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "__metadata__": {"format": "pt"}}).encode()
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + struct.pack("<2f", 1.0, 2.0))
    expect["model.safetensors"] = "safe"
    with open(os.path.join(out, "broken.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 10_000) + b"{}")
    expect["broken.safetensors"] = "unreadable"
    truncated = pickle.dumps(benign, protocol=4)[:-7]
    with open(os.path.join(out, "truncated.pkl"), "wb") as f:
        f.write(truncated)
    expect["truncated.pkl"] = "unreadable"
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(expect, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
