"""Reference constrained beam search: the behaviour the Java retrieval server must reproduce.

At every level only codes that continue a prefix of an existing SID are allowed (0 invalid SIDs by
construction). A beam's score is the sum of its per-level log-probabilities. Final L-level
prefixes expand to their items in collision-code order; all items of a prefix share its score.
Ties are broken by the smaller code (stable top-k over codes in ascending order).
"""
import numpy as np
import torch

from .decoder import BOS, PAD


class SidIndex:
    """Valid prefixes per level, as dense masks, and prefix -> items."""

    def __init__(self, sids, collisions, item_ids, levels, codebook_size):
        self.levels = levels
        self.k = codebook_size
        self.prefix_ids = [dict() for _ in range(levels)]   # level l: prefix tuple (len l) -> row
        self.prefix_ids[0][()] = 0
        for row in map(tuple, sids):
            for l in range(1, levels):
                self.prefix_ids[l].setdefault(row[:l], len(self.prefix_ids[l]))
        self.allowed = [np.zeros((len(self.prefix_ids[l]), codebook_size), dtype=bool) for l in range(levels)]
        self.items = {}
        for i, row in enumerate(map(tuple, sids)):
            for l in range(levels):
                self.allowed[l][self.prefix_ids[l][row[:l]], row[l]] = True
            self.items.setdefault(row, []).append((int(collisions[i]), item_ids[i], i))
        for v in self.items.values():
            v.sort()


def history_tokens(layout, histories, sids, collisions, max_items):
    """Left-padded token matrix [R, T] for lists of item indices."""
    rows = []
    for hist in histories:
        toks = []
        for i in hist[-max_items:]:
            toks.extend(layout.item_tokens(sids[i], collisions[i]))
        rows.append(toks)
    t = max(1, max(len(r) for r in rows))
    out = np.full((len(rows), t), PAD, dtype=np.int64)
    for r, toks in enumerate(rows):
        if toks:
            out[r, t - len(toks):] = toks
    return torch.from_numpy(out)


@torch.no_grad()
def beam_search(model, index, hist_tokens, beam_width, top_items, exclude=None):
    """Returns per request a list of (item_index, item_id, full sid tuple, score), best first.

    A beam that has no valid continuation left is dead: prefix None, score -inf. Requests whose
    reachable items are fewer than top_items get shorter lists, never padding.
    """
    layout = model.layout
    pk, pv, pm = model.encode_history(hist_tokens)
    r = hist_tokens.shape[0]
    prefixes = [[()] for _ in range(r)]
    scores = torch.zeros(r, 1)
    for level in range(layout.levels):
        w = len(prefixes[0])
        toks = np.full((r, w, level + 1), BOS, dtype=np.int64)
        mask = np.zeros((r, w, layout.codebook_size), dtype=bool)
        for ri in range(r):
            for wi, p in enumerate(prefixes[ri]):
                if p is None:
                    continue
                for l, c in enumerate(p):
                    toks[ri, wi, l + 1] = layout.level_offsets[l] + c
                mask[ri, wi] = index.allowed[level][index.prefix_ids[level][p]]
        logp = model.decode_step(pk, pv, pm, torch.from_numpy(toks))
        total = scores.unsqueeze(2) + logp
        total = total.masked_fill(~torch.from_numpy(mask), float("-inf")).reshape(r, -1)
        top = torch.topk(total, min(beam_width, total.shape[1]), dim=1, sorted=True)
        next_prefixes = []
        for ri in range(r):
            row = []
            for flat, s in zip(top.indices[ri].tolist(), top.values[ri].tolist()):
                if s == float("-inf"):
                    row.append(None)
                else:
                    wi, code = divmod(flat, layout.codebook_size)
                    row.append(prefixes[ri][wi] + (code,))
            next_prefixes.append(row)
        prefixes = next_prefixes
        scores = top.values
    results = []
    for ri in range(r):
        out = []
        for p, s in zip(prefixes[ri], scores[ri].tolist()):
            if p is None:
                continue
            for collision, item_id, item_index in index.items[p]:
                if len(out) == top_items:
                    break
                if exclude is not None and item_index in exclude[ri]:
                    continue
                out.append((item_index, item_id, p + (collision,), s))
        results.append(out)
    return results
