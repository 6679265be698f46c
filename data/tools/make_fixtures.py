#!/usr/bin/python3
"""Makes the tiny data-format fixtures in data/fixtures/formats/ and the expected numbers next to them.

Run with Debian's interpreter (numpy 1.24, h5py):  /usr/bin/python3 data/tools/make_fixtures.py
Every array is drawn from a fixed seed, so rerunning gives byte-identical pickles. expected.json stores what a
correct loader must return (shapes, lengths, float32 sums after MMSA's audio -inf -> 0, first values, labels, ids).
"""
import json
import os
import pickle

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "formats")
BROKEN = os.path.join(OUT, "broken")
os.makedirs(BROKEN, exist_ok=True)
SPLITS = {"train": 6, "valid": 3, "test": 3}
DIMS = {"text": 12, "audio": 5, "vision": 7}
rng = np.random.default_rng(20240417)


def padded(n, t, d, lengths, dtype):
    """(n, t, d) random features, zero after each sample's length (zero-padded at the end, as the files are)."""
    x = rng.normal(size=(n, t, d)).astype(dtype)
    for i, L in enumerate(lengths):
        x[i, L:, :] = 0
    return x


def expect_arrays(arrs, lengths):
    """Numbers the C# loader must reproduce: float32 sum (float64 accumulate), the first 3 values, lengths."""
    out = {}
    for key, x in arrs.items():
        x32 = np.where(np.isinf(x), 0, x).astype(np.float32) if key == "audio" else x.astype(np.float32)
        out[key] = {"shape": list(x.shape), "sum": float(x32.astype(np.float64).sum()),
                    "first": [float(v) for v in x32.reshape(-1)[:3]], "lengths": [int(v) for v in lengths[key]]}
    return out


def dump(obj, name, protocol, folder=OUT):
    with open(os.path.join(folder, name), "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


expected = {}

# 1. MMSA aligned_50-style: float64, T=8 for every modality, -inf in audio, no *_lengths keys (protocol 4).
data, exp = {}, {}
for split, n in SPLITS.items():
    T = 8
    lens = rng.integers(3, T + 1, size=n)
    lens[0] = T  # one full-length sample
    arrs = {k: padded(n, T, d, lens, np.float64) for k, d in DIMS.items()}
    arrs["audio"][0, 1, 2] = -np.inf  # MMSA audio holds -inf; loaders set it to 0
    arrs["audio"][1, 0, 0] = -np.inf
    labels = np.round(rng.uniform(-3, 3, size=n), 1).astype(np.float32)
    labels[0] = 3.0000002  # within rounding of the [-3, 3] bound: must be accepted
    data[split] = {
        "raw_text": np.array([f"utterance {split} {i}" for i in range(n)], dtype=object),
        "id": np.array([f"vid{i // 2}$_${i % 2}" for i in range(n)], dtype=object),
        "text": arrs["text"], "text_bert": np.zeros((n, 3, T), dtype=np.float64),
        "audio": arrs["audio"], "vision": arrs["vision"],
        "regression_labels": labels,
        "classification_labels": (np.sign(labels) + 1).astype(np.float32),
        "annotations": np.array(["Positive" if y > 0 else "Negative" for y in labels], dtype=object),
    }
    exp[split] = {"n": n, "arrays": expect_arrays(arrs, {k: lens for k in arrs}),
                  "labels": [float(v) for v in labels], "ids": list(data[split]["id"])}
dump(data, "mmsa_aligned.pkl", 4)
expected["mmsa_aligned.pkl"] = exp

# 2. MMSA unaligned_50-style: float32, per-modality T, audio_lengths (a list) and vision_lengths (an array).
data, exp = {}, {}
for split, n in SPLITS.items():
    Ts = {"text": 8, "audio": 10, "vision": 6}
    lens = {k: rng.integers(2, T + 1, size=n) for k, T in Ts.items()}
    arrs = {k: padded(n, Ts[k], d, lens[k], np.float32) for k, d in DIMS.items()}
    labels = np.round(rng.uniform(-3, 3, size=n), 1).astype(np.float32)
    data[split] = {
        "raw_text": np.array([f"u {i}" for i in range(n)], dtype=object),
        "id": np.array([f"clip{split}{i}" for i in range(n)], dtype=object),
        "text": arrs["text"], "text_bert": np.ones((n, 3, Ts["text"]), dtype=np.float32),
        "audio": arrs["audio"], "vision": arrs["vision"],
        "audio_lengths": [int(v) for v in lens["audio"]], "vision_lengths": lens["vision"].astype(np.int64),
        "regression_labels": labels, "classification_labels": (np.sign(labels) + 1).astype(np.float32),
        "annotations": np.array(["x"] * n, dtype=object),
    }
    exp[split] = {"n": n, "arrays": expect_arrays(arrs, lens), "labels": [float(v) for v in labels],
                  "ids": list(data[split]["id"])}
dump(data, "mmsa_unaligned.pkl", 5 if pickle.HIGHEST_PROTOCOL >= 5 else 4)
expected["mmsa_unaligned.pkl"] = exp
expected["mmsa_unaligned.pkl"]["protocol"] = 5 if pickle.HIGHEST_PROTOCOL >= 5 else 4


# 3. MulT mosi_data.pkl-style: float32, labels (N,1,1), ids a '<U' string array; protocol 2 (bytes go through
#    _codecs.encode, the oldest layout a Python 3 pickle can have).
def mult(n_by_split, T, emotion, id_kind):
    data, exp = {}, {}
    for split, n in n_by_split.items():
        lens = rng.integers(2, T + 1, size=n)
        arrs = {k: padded(n, T, d, lens, np.float32) for k, d in DIMS.items()}
        if emotion:
            cls = np.arange(n) % 4  # every class appears
            labels = np.zeros((n, 4, 2), dtype=np.float32)
            labels[:, :, 0] = 1
            labels[np.arange(n), cls, 0] = 0
            labels[np.arange(n), cls, 1] = 1
            ylist = [float(c) for c in cls]
        else:
            y = np.round(rng.uniform(-3, 3, size=n), 2).astype(np.float32)
            labels, ylist = y.reshape(n, 1, 1), [float(v) for v in y]
        names = [f"s{split}{i}" for i in range(n)]
        if id_kind == "unicode":
            ids, idstr = np.array(names), names
        elif id_kind == "bytes_pairs":  # (N, 2) byte strings: video and segment
            ids = np.array([[f"v{i}".encode(), f"{i}".encode()] for i in range(n)])
            idstr = [f"v{i}$_${i}" for i in range(n)]
        data[split] = {"text": arrs["text"], "audio": arrs["audio"], "vision": arrs["vision"],
                       "labels": labels, "id": ids}
        exp[split] = {"n": n, "arrays": expect_arrays(arrs, {k: lens for k in arrs}), "labels": ylist, "ids": idstr}
    return data, exp


data, exp = mult(SPLITS, 8, False, "unicode")
dump(data, "mult_mosi.pkl", 2)
expected["mult_mosi.pkl"] = exp
data, exp = mult({"train": 8, "valid": 4, "test": 4}, 5, True, "bytes_pairs")
dump(data, "mult_iemocap.pkl", 4)
expected["mult_iemocap.pkl"] = exp

# 4. CMU-MultimodalSDK .csd: HDF5, <root>/data/<video>/{features, intervals}, gzip-compressed datasets.
exp = {}
with h5py.File(os.path.join(OUT, "covarep_tiny.csd"), "w") as f:
    root = f.create_group("COVAREP")
    for vid, m in [("vidA", 4), ("vidB", 2)]:
        g = root.create_group("data").create_group(vid) if "data" not in root else root["data"].create_group(vid)
        feats = rng.normal(size=(m, 5)).astype(np.float32)
        starts = np.arange(m, dtype=np.float64) * 0.5
        g.create_dataset("features", data=feats, compression="gzip")
        g.create_dataset("intervals", data=np.stack([starts, starts + 0.5], axis=1), compression="gzip")
        exp[vid] = {"shape": [m, 5], "sum": float(feats.astype(np.float64).sum()),
                    "first": [float(v) for v in feats.reshape(-1)[:3]],
                    "intervals_first": [float(starts[0]), float(starts[0] + 0.5)], "intervals_last_end": float(starts[-1] + 0.5)}
    meta = root.create_group("metadata")
    meta.create_dataset("root name", data=np.array([b"COVAREP"]))
expected["covarep_tiny.csd"] = {"root": "COVAREP", "videos": exp}

# 4b. A .csd in the SDK's own writing style (mmdatasdk's writeCSD): uncompressed float64 features and intervals,
# and every metadata entry a variable-length str dataset of shape (1,). Own generator, so the files above and below
# keep their bytes.
sdk_rng = np.random.default_rng(2015)
sdk_meta = {
    "root name": "COVAREP",
    "computational sequence description": "tiny COVAREP-like acoustic features for the kit's tests",
    "computational sequence version": "1.0",
    "alignment compatible": "True",
    "dataset name": "kit fixture",
    "dataset version": "1.0",
    "creator": "CorrKD.Kit make_fixtures.py",
    "contact": "none",
    "featureset bib citation": "none",
    "dataset bib citation": "none",
    "dimension names": str([f"f{j}" for j in range(7)]),
}
sdk_frames = {"vid_a": 6, "vid_b": 3, "vid_c": 9}
with h5py.File(os.path.join(OUT, "covarep_sdk.csd"), "w") as f:
    root = f.create_group("COVAREP")
    data_group = root.create_group("data")
    spans = []
    for vid, m in sdk_frames.items():
        g = data_group.create_group(vid)
        g.create_dataset("features", data=sdk_rng.normal(2.5, 20.0, size=(m, 7)))
        start = float(sdk_rng.uniform(0, 5))
        starts = start + np.arange(m, dtype=np.float64) * 0.01
        g.create_dataset("intervals", data=np.stack([starts, starts + 0.01], axis=1))
        spans.append(float(starts[-1] + 0.01 - starts[0]))
    meta = root.create_group("metadata")
    for k, v in sdk_meta.items():
        meta.create_dataset(k, (1,), dtype=h5py.special_dtype(vlen=str))
        meta[k][0] = v
expected["covarep_sdk.csd"] = {"root": "COVAREP", "videos": len(sdk_frames), "dim": 7,
                               "frames": [float(v) for v in (min(sdk_frames.values()), np.median(list(sdk_frames.values())), max(sdk_frames.values()))],
                               "spans": [float(v) for v in (min(spans), np.median(spans), max(spans))],
                               "metadata": sdk_meta}

# 5. Broken inputs, each with exactly one defect, derived from a small valid MulT-style data set.
def good(n_by_split={"train": 3, "valid": 2, "test": 2}):
    out = {}
    for split, n in n_by_split.items():
        out[split] = {"text": np.ones((n, 4, 3), np.float32), "audio": np.ones((n, 4, 2), np.float32),
                      "vision": np.ones((n, 4, 2), np.float32),
                      "labels": np.linspace(-1, 1, n).astype(np.float32).reshape(n, 1, 1),
                      "id": np.array([f"i{k}" for k in range(n)])}
    return out


dump(good(), "good_small.pkl", 4, BROKEN)
dump([1, 2, 3], "a_list.pkl", 4, BROKEN)
dump({"alpha": 1, "beta": 2}, "dict_without_splits.pkl", 4, BROKEN)
b = good(); del b["valid"]; dump(b, "missing_split.pkl", 4, BROKEN)
b = good(); del b["test"]["vision"]; dump(b, "missing_key.pkl", 4, BROKEN)
b = good(); b["train"]["audio"] = np.ones((2, 4, 2), np.float32); dump(b, "n_mismatch.pkl", 4, BROKEN)
b = good(); b["valid"]["text"] = np.ones((2, 12), np.float32); dump(b, "wrong_rank.pkl", 4, BROKEN)
b = good(); b["train"]["vision"][0, 0, 0] = np.nan; b["train"]["vision"][2, 1, 1] = np.nan; dump(b, "nan_vision.pkl", 4, BROKEN)
b = good(); b["test"]["text"][1, 2, 0] = np.inf; dump(b, "inf_text.pkl", 4, BROKEN)
b = good(); b["train"]["audio"][0, 0, 0] = -np.inf; dump(b, "inf_audio_ok.pkl", 4, BROKEN)
b = good(); b["valid"]["labels"][1, 0, 0] = 3.5; dump(b, "label_out_of_range.pkl", 4, BROKEN)
b = good({"train": 4, "valid": 2, "test": 2})
for split, d in b.items():
    n = d["labels"].shape[0]
    lab = np.zeros((n, 4, 2), np.float32); lab[:, :, 0] = 1; lab[:, 0, :] = [0, 1]
    d["labels"] = lab
b["train"]["labels"][2, 3, :] = [0, 1]  # row 2 of train: neutral AND angry
dump(b, "iemocap_two_positives.pkl", 4, BROKEN)
with open(os.path.join(BROKEN, "not_a_pickle.txt"), "w") as f:
    f.write("video_id,label\nabc,1.0\n")

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print("wrote", sorted(os.listdir(OUT)), sorted(os.listdir(BROKEN)))
