"""safetensors files read and written with json + struct + numpy, from the format's spec: the PyTorch side
of the bench and of the tests needs no `safetensors` package.

    save_safetensors(path, net.state_dict())
    state = read_safetensors(path)
"""
import json
import struct

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
NAMES = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}


def save_safetensors(path, tensors, metadata=None):
    """Writes `tensors` (name -> float32, float16 or int64 tensor) in order, the header padded to 8 bytes."""
    header = {"__metadata__": metadata} if metadata else {}
    chunks, offset = [], 0
    for key, value in tensors.items():
        raw = value.detach().contiguous().numpy().tobytes()
        header[key] = {"dtype": NAMES[value.dtype], "shape": list(value.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(chunks))


def read_safetensors(path):
    """Reads every tensor of the file (its `__metadata__` aside) as a name -> tensor dict."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    out = {}
    for key, entry in header.items():
        begin, end = entry["data_offsets"]
        array = np.frombuffer(body[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        out[key] = torch.from_numpy(array.copy())
    return out
