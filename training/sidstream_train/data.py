"""Catalog, interaction and embedding loading; leave-last-out splits.

Formats match the Java readers (io.sidstream.datasets.Datasets): MovieTweetings ``::`` files or
JSON lines. Embeddings always come from the Java ``embed`` command (embeddings.npy + items.tsv),
so the trainer never computes text embeddings itself.
"""
import json
import os
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Interaction:
    user_id: str
    item_id: str
    timestamp_ms: int


@dataclass
class Dataset:
    item_ids: list            # catalog order; row i of `embeddings`
    embeddings: np.ndarray    # float32 [items, dim]
    interactions: list        # sorted by time, only items in the catalog
    dropped_unknown_items: int = 0
    item_index: dict = field(default_factory=dict)

    def __post_init__(self):
        self.item_index = {item: i for i, item in enumerate(self.item_ids)}


def read_interactions(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if path.endswith(".jsonl") or path.endswith(".json"):
                obj = json.loads(line)
                out.append(Interaction(str(obj["userId"]), str(obj["itemId"]), int(obj["eventTime"])))
            else:
                parts = line.split("::")
                if len(parts) != 4:
                    raise ValueError(f"{path}:{n}: expected user::item::rating::seconds")
                out.append(Interaction(parts[0], parts[1], int(parts[3]) * 1000))
    # Stable sort: ties keep file order, exactly as the Java reader does.
    out.sort(key=lambda e: e.timestamp_ms)
    return out


def read_embeddings(embed_dir):
    embeddings = np.load(os.path.join(embed_dir, "embeddings.npy"))
    item_ids = []
    with open(os.path.join(embed_dir, "items.tsv"), encoding="utf-8") as f:
        for line in f:
            item_ids.append(line.rstrip("\n").split("\t", 1)[0])
    if len(item_ids) != embeddings.shape[0]:
        raise ValueError(f"{embed_dir}: {len(item_ids)} items but {embeddings.shape[0]} embeddings")
    return item_ids, embeddings.astype(np.float32)


def load_items(item_ids, interactions_path, embeddings=None):
    """The interactions of known items; without embeddings for a decoder-only retrain."""
    known = set(item_ids)
    events = read_interactions(interactions_path)
    kept = [e for e in events if e.item_id in known]
    if embeddings is None:
        embeddings = np.zeros((len(item_ids), 0), dtype=np.float32)
    return Dataset(list(item_ids), embeddings, kept, dropped_unknown_items=len(events) - len(kept))


def load(embed_dir, interactions_path):
    item_ids, embeddings = read_embeddings(embed_dir)
    return load_items(item_ids, interactions_path, embeddings)


@dataclass
class Split:
    """Leave-last-out: per user with >= min_len events, last -> test, second last -> validation."""
    train_sequences: dict     # user -> item indices usable for training (time order)
    valid: list               # (user, history item indices, target item index, target time ms)
    test: list                # (user, history item indices, target item index, target time ms)
    item_first_seen_ms: dict  # item index -> first interaction time
    train_times: dict = field(default_factory=dict)  # user -> times (ms) of train_sequences


def leave_last_out(dataset, min_len=5):
    by_user = {}
    first_seen = {}
    for e in dataset.interactions:
        idx = dataset.item_index[e.item_id]
        by_user.setdefault(e.user_id, []).append((idx, e.timestamp_ms))
        first_seen.setdefault(idx, e.timestamp_ms)
    train, times, valid, test = {}, {}, [], []
    for user, seq in by_user.items():
        items = [i for i, _ in seq]
        if len(items) >= min_len:
            train[user] = items[:-2]
            times[user] = [t for _, t in seq[:-2]]
            valid.append((user, items[:-2], items[-2], seq[-2][1]))
            test.append((user, items[:-1], items[-1], seq[-1][1]))
        else:
            train[user] = items
            times[user] = [t for _, t in seq]
    return Split(train, valid, test, first_seen, times)
