"""SASRec with full-softmax cross-entropy: the strong sequential baseline the decoder is measured against.

Self-attentive next-item prediction (Kang and McAuley, 2018) over item ids, trained with a
cross-entropy over the whole catalog at every position (the "SASRec-CE" variant, which is much
stronger than the original's sampled binary loss). Same split as the decoder: it trains on the
training sequences, is selected by early stopping on the validation cases and reports the test
cases with seen items excluded and the whole catalog ranked.
"""
import copy
import math
import random

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


class SasRec(nn.Module):
    def __init__(self, n_items, d, blocks, heads, max_len, dropout):
        super().__init__()
        self.max_len = max_len
        self.heads = heads
        self.item = nn.Embedding(n_items + 1, d, padding_idx=0)   # item i -> row i + 1
        # Scores are dot products with a layer-normed state (norm ~ sqrt(d)): unit-scale logits.
        nn.init.normal_(self.item.weight, std=d ** -0.5)
        with torch.no_grad():
            self.item.weight[0].zero_()
        self.pos = nn.Embedding(max_len, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, blocks)
        self.norm = nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)

    def forward(self, seqs):
        """seqs [B, T] of item rows (0 = padding, left-padded) -> hidden [B, T, d]."""
        b, t = seqs.shape
        x = self.item(seqs) * self.item.embedding_dim ** 0.5 + self.pos(torch.arange(t)).unsqueeze(0)
        # Causal, padding keys hidden; every position may see itself, so that a padding query's
        # row is never all -inf (NaN), and real positions never see padding.
        blocked = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1).unsqueeze(0) | (seqs == 0).unsqueeze(1)
        blocked = blocked & ~torch.eye(t, dtype=torch.bool).unsqueeze(0)
        mask = blocked.repeat_interleave(self.heads, dim=0)
        h = self.encoder(self.drop(x), mask=mask)
        return self.norm(h)

    def scores(self, hidden):
        return hidden @ self.item.weight[1:].T


def left_pad(rows, length):
    out = np.zeros((len(rows), length), dtype=np.int64)
    for r, seq in enumerate(rows):
        seq = seq[-length:]
        if seq:
            out[r, length - len(seq):] = np.asarray(seq) + 1
    return torch.from_numpy(out)


@torch.no_grad()
def rank(model, cases, n_items, batch=512):
    """Per case: the 0-based rank of the target among unseen items, or None beyond 100."""
    model.eval()
    out = []
    for start in range(0, len(cases), batch):
        chunk = cases[start:start + batch]
        seqs = left_pad([c[1] for c in chunk], model.max_len)
        s = model.scores(model(seqs)[:, -1])
        for r, case in enumerate(chunk):
            seen = list(set(case[1]))
            s[r, seen] = float("-inf")
        top = torch.topk(s, 100, dim=1).indices.tolist()
        for r, case in enumerate(chunk):
            out.append(top[r].index(case[2]) if case[2] in top[r] else None)
    return out


def metrics(ranks):
    n = max(len(ranks), 1)
    return {"recall@10": sum(r is not None and r < 10 for r in ranks) / n,
            "recall@50": sum(r is not None and r < 50 for r in ranks) / n,
            "recall@100": sum(r is not None and r < 100 for r in ranks) / n,
            "ndcg@10": sum(1.0 / math.log2(r + 2) for r in ranks if r is not None and r < 10) / n,
            "users": len(ranks)}


def train(split, n_items, seed, log, d=64, blocks=2, heads=2, max_len=50, dropout=0.2, lr=1e-3,
          batch=128, max_epochs=200, patience=5, valid_users=None):
    """Trains with early stopping on validation (sum of R@10/50/100 and NDCG@10); returns the
    model of the best epoch and the epoch history."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = SasRec(n_items, d, blocks, heads, max_len, dropout)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    # Each training sequence, cut into windows of max_len + 1 so long ones train on every part.
    windows = []
    for seq in split.train_sequences.values():
        if len(seq) < 2:
            continue
        for end in range(len(seq), 1, -max_len):
            windows.append(seq[max(0, end - max_len - 1):end])
    valid = split.valid if valid_users is None else split.valid[:valid_users]
    best, best_score, best_epoch, history = None, -1.0, 0, []
    for epoch in range(1, max_epochs + 1):
        model.train()
        rng.shuffle(windows)
        total, count = 0.0, 0
        for start in range(0, len(windows), batch):
            rows = windows[start:start + batch]
            seqs = left_pad([w[:-1] for w in rows], max_len)
            targets = left_pad([w[1:] for w in rows], max_len) - 1    # -1 = padding
            # The catalog-wide softmax only at real positions: most of a short window is padding.
            real = targets.reshape(-1) >= 0
            hidden = model(seqs).reshape(-1, d)[real]
            loss = F.cross_entropy(model.scores(hidden), targets.reshape(-1)[real])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
            count += len(rows)
        val = metrics(rank(model, valid, n_items))
        history.append({"epoch": epoch, "train_loss": total / count, **val})
        score = val["recall@10"] + val["recall@50"] + val["recall@100"] + val["ndcg@10"]
        if score > best_score:
            best, best_score, best_epoch = copy.deepcopy(model.state_dict()), score, epoch
        log(f"sasrec-ce seed {seed} epoch {epoch} loss={total / count:.4f} valid R@10={val['recall@10']:.4f}"
            f" N@10={val['ndcg@10']:.4f}{' (best)' if best_epoch == epoch else ''}")
        if epoch - best_epoch >= patience:
            break
    model.load_state_dict(best)
    return model, best_epoch, history
