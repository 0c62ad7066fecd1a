"""Generative SID decoder: a small decoder-only transformer over SID tokens.

Token layout (level-offset vocabulary): PAD=0, BOS=1, code c of level l -> 2 + l*K + c, collision
code c -> 2 + L*K + min(c, C-1). A history is 4 tokens per item (L codes + collision), left-padded.

The model is written as two functions that are also the two exported graphs, so training runs the
exact computation that serving runs:
  encode_history(history_tokens[R,T]) -> past_keys, past_values [NL,R,H,T,Dh], past_mask [R,T]
  decode_step(past_keys, past_values, past_mask, beam_tokens[R,W,S]) -> log_probs[R,W,K]
and, in contract v2, the same search with a beam-token cache (only each beam's new token computed):
  decode_start(past_keys, past_values, past_mask) -> log_probs[R,1,K], beam_keys, beam_values
  decode_next(past..., beam_keys, beam_values [NL,R,W',H,S-1,Dh], parents[R,W], new_tokens[R,W])
    -> log_probs[R,W,K], beam_keys, beam_values [NL,R,W,H,S,Dh]
beam_tokens are BOS followed by the tokens of the levels decoded so far; S-1 is the level predicted.
Positions are derived from data (cumsum), not from shapes, so every axis stays dynamic in ONNX.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F

NEG = -1e9
PAD, BOS = 0, 1


class TokenLayout:
    def __init__(self, levels, codebook_size, collision_codes):
        self.levels = levels
        self.codebook_size = codebook_size
        self.collision_codes = collision_codes
        self.level_offsets = [2 + l * codebook_size for l in range(levels)]
        self.collision_offset = 2 + levels * codebook_size
        self.vocab_size = self.collision_offset + collision_codes

    def item_tokens(self, sid_codes, collision):
        toks = [self.level_offsets[l] + int(c) for l, c in enumerate(sid_codes)]
        toks.append(self.collision_offset + min(int(collision), self.collision_codes - 1))
        return toks

    def as_manifest(self):
        return {"pad": PAD, "bos": BOS, "levelOffsets": self.level_offsets,
                "collisionOffset": self.collision_offset, "collisionCodes": self.collision_codes,
                "vocabSize": self.vocab_size, "tokensPerItem": self.levels + 1}


class Block(nn.Module):
    def __init__(self, d, heads, ff, dropout=0.0):
        super().__init__()
        # Training only: dropout is the identity in eval mode, so no exported graph contains it.
        self.drop = nn.Dropout(dropout)
        self.heads = heads
        self.head_dim = d // heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))

    def split(self, x):
        # [..., n, d] -> [..., H, n, Dh]
        shape = x.shape[:-1]
        x = x.reshape(*shape, self.heads, self.head_dim)
        return x.transpose(-2, -3)

    def merge(self, x):
        x = x.transpose(-2, -3)
        return x.reshape(*x.shape[:-2], self.heads * self.head_dim)


class SidDecoder(nn.Module):
    def __init__(self, layout, d_model, layers, heads, ff, max_history_items, dropout=0.0):
        super().__init__()
        self.layout = layout
        self.d_model = d_model
        self.n_layers = layers
        self.n_heads = heads
        self.max_history_tokens = max_history_items * (layout.levels + 1)
        self.tok = nn.Embedding(layout.vocab_size, d_model)
        self.pos = nn.Embedding(self.max_history_tokens + layout.levels + 1, d_model)
        self.blocks = nn.ModuleList(Block(d_model, heads, ff, dropout) for _ in range(layers))
        self.drop = nn.Dropout(dropout)
        self.ln_f = nn.LayerNorm(d_model)
        k = layout.codebook_size
        self.head_w = nn.Parameter(torch.randn(layout.levels, d_model, k) / math.sqrt(d_model))
        self.head_b = nn.Parameter(torch.zeros(layout.levels, k))

    def encode_history(self, history_tokens):
        ones = torch.ones_like(history_tokens)
        idx = ones.cumsum(1) - 1                       # 0..T-1
        count = ones.sum(1, keepdim=True)              # T
        pos = (idx - count + self.max_history_tokens).clamp(min=0)
        x = self.drop(self.tok(history_tokens) + self.pos(pos))   # [R,T,d]
        is_pad = (history_tokens == PAD).to(x.dtype)
        past_mask = is_pad * NEG                       # [R,T] additive
        causal = (idx.unsqueeze(2) < idx.unsqueeze(1)).to(x.dtype) * NEG   # [R,T,T] key after query
        bias = causal.unsqueeze(1) + past_mask.unsqueeze(1).unsqueeze(2)   # [R,1,T,T]
        keys, values = [], []
        for block in self.blocks:
            h = block.ln1(x)
            q, k, v = block.qkv(h).chunk(3, dim=-1)
            q, k, v = block.split(q), block.split(k), block.split(v)      # [R,H,T,Dh]
            att = (q @ k.transpose(-1, -2)) / math.sqrt(block.head_dim) + bias
            out = block.merge(att.softmax(-1) @ v)
            x = x + block.drop(block.proj(out))
            x = x + block.drop(block.ff(block.ln2(x)))
            keys.append(k)
            values.append(v)
        return torch.stack(keys), torch.stack(values), past_mask

    def decode_hidden(self, past_keys, past_values, past_mask, beam_tokens):
        """Hidden states [R,W,S,d] of the beam tokens attending to the cached history."""
        ones = torch.ones_like(beam_tokens)
        idx = ones.cumsum(2) - 1                                  # [R,W,S] 0..S-1
        x = self.drop(self.tok(beam_tokens) + self.pos(idx + self.max_history_tokens))
        causal = (idx.unsqueeze(3) < idx.unsqueeze(2)).to(x.dtype) * NEG  # [R,W,S,S]
        hist_bias = past_mask.unsqueeze(1).unsqueeze(2).unsqueeze(3)      # [R,1,1,1,T]
        self_bias = causal.unsqueeze(2)                                    # [R,W,1,S,S]
        for layer, block in enumerate(self.blocks):
            h = block.ln1(x)
            q, k, v = block.qkv(h).chunk(3, dim=-1)
            q, k, v = block.split(q), block.split(k), block.split(v)      # [R,W,H,S,Dh]
            pk = past_keys[layer].unsqueeze(1)                            # [R,1,H,T,Dh]
            pv = past_values[layer].unsqueeze(1)
            scale = 1.0 / math.sqrt(block.head_dim)
            s_hist = (q @ pk.transpose(-1, -2)) * scale + hist_bias       # [R,W,H,S,T]
            s_self = (q @ k.transpose(-1, -2)) * scale + self_bias        # [R,W,H,S,S]
            att = torch.cat([s_hist, s_self], dim=-1).softmax(-1)
            t = pk.shape[-2]
            out = att[..., :t] @ pv + att[..., t:] @ v
            x = x + block.drop(block.proj(block.merge(out)))
            x = x + block.drop(block.ff(block.ln2(x)))
        return self.ln_f(x)

    def decode_step(self, past_keys, past_values, past_mask, beam_tokens):
        hidden = self.decode_hidden(past_keys, past_values, past_mask, beam_tokens)
        last = hidden[:, :, -1, :]                                        # [R,W,d]
        # Level = S-1, computed from data so the graph needs no shape-dependent indexing.
        level = torch.ones_like(beam_tokens[0, 0]).sum().reshape(1) - 1
        w = torch.index_select(self.head_w, 0, level).squeeze(0)         # [d,K]
        b = torch.index_select(self.head_b, 0, level).squeeze(0)
        return F.log_softmax(last @ w + b, dim=-1)

    def _cached_token(self, past_keys, past_values, past_mask, token, position, beam_keys, beam_values):
        """One new token per beam [R,W] at beam position `position`, attending to the history and to
        the beam's earlier tokens (keys/values [NL,R,W,H,S-1,Dh], or None before the first).

        All W beams of a request query the history in one [W, Dh] x [Dh, T] product per head (not W
        broadcast products of one row each, which ONNX Runtime runs an order of magnitude slower)."""
        x = self.tok(token) + self.pos(position + self.max_history_tokens)    # [R,W,d]
        hist_bias = past_mask.unsqueeze(1).unsqueeze(2)                        # [R,1,1,T]
        r, w = token.shape
        keys, values = [], []
        for layer, block in enumerate(self.blocks):
            heads, dh = block.heads, block.head_dim
            q, k, v = block.qkv(block.ln1(x)).chunk(3, dim=-1)                # [R,W,d]
            q = q.reshape(r, w, heads, dh).transpose(1, 2)                     # [R,H,W,Dh]
            k = k.reshape(r, w, heads, 1, dh)                                  # [R,W,H,1,Dh]
            v = v.reshape(r, w, heads, 1, dh)
            if beam_keys is not None:
                k = torch.cat([beam_keys[layer], k], dim=-2)                   # [R,W,H,S,Dh]
                v = torch.cat([beam_values[layer], v], dim=-2)
            scale = 1.0 / math.sqrt(dh)
            s_hist = (q @ past_keys[layer].transpose(-1, -2)) * scale + hist_bias   # [R,H,W,T]
            q_beam = q.transpose(1, 2).unsqueeze(-1)                           # [R,W,H,Dh,1]
            s_self = (k @ q_beam).squeeze(-1).transpose(1, 2) * scale          # [R,H,W,S]
            att = torch.cat([s_hist, s_self], dim=-1).softmax(-1)
            t = past_keys.shape[-2]
            out = att[..., :t] @ past_values[layer]                            # [R,H,W,Dh]
            a_self = att[..., t:].transpose(1, 2).unsqueeze(-2)                # [R,W,H,1,S]
            out = out + (a_self @ v).squeeze(-2).transpose(1, 2)               # [R,H,W,Dh]
            x = x + block.proj(out.transpose(1, 2).reshape(r, w, heads * dh))
            x = x + block.ff(block.ln2(x))
            keys.append(k)
            values.append(v)
        last = self.ln_f(x)                                                    # [R,W,d]
        level = position.reshape(1)
        head_w = torch.index_select(self.head_w, 0, level).squeeze(0)
        head_b = torch.index_select(self.head_b, 0, level).squeeze(0)
        return F.log_softmax(last @ head_w + head_b, dim=-1), torch.stack(keys), torch.stack(values)

    def decode_start(self, past_keys, past_values, past_mask):
        """Contract v2, first level: BOS for one beam per request -> log_probs [R,1,K] and the
        beam cache (keys, values [NL,R,1,H,1,Dh])."""
        bos = (torch.ones_like(past_mask[:, :1]) * BOS).to(torch.long)       # [R,1]
        position = torch.zeros((), dtype=torch.long)
        return self._cached_token(past_keys, past_values, past_mask, bos, position, None, None)

    def decode_next(self, past_keys, past_values, past_mask, beam_keys, beam_values, parents, new_tokens):
        """Contract v2, later levels: beam w of request r extends beam parents[r,w] of the previous
        call with token new_tokens[r,w]. Equals decode_step on the full beam tokens, computing only
        the new token: the earlier tokens' keys and values are gathered from the cache by parent."""
        nl, r, _, h, s1, dh = beam_keys.shape
        w = parents.shape[1]
        index = parents.reshape(1, r, w, 1, 1, 1).expand(nl, r, w, h, s1, dh)
        beam_keys = torch.gather(beam_keys, 2, index)
        beam_values = torch.gather(beam_values, 2, index)
        position = torch.ones_like(beam_keys[0, 0, 0, 0, :, 0]).sum().to(torch.long)
        return self._cached_token(past_keys, past_values, past_mask, new_tokens, position, beam_keys, beam_values)

    def teacher_forced_logits(self, history_tokens, target_codes):
        """Training: logits [R, L, K] for every level of the target given the true previous codes."""
        pk, pv, pm = self.encode_history(history_tokens)
        r = history_tokens.shape[0]
        prev = [torch.full((r, 1), BOS, dtype=torch.long)]
        for l in range(self.layout.levels - 1):
            prev.append((target_codes[:, l] + self.layout.level_offsets[l]).unsqueeze(1))
        beam = torch.cat(prev, 1).unsqueeze(1)                            # [R,1,L]
        hidden = self.decode_hidden(pk, pv, pm, beam)[:, 0]               # [R,L,d]
        return torch.einsum("rld,ldk->rlk", hidden, self.head_w) + self.head_b


class EncodeHistoryGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, history_tokens):
        return self.model.encode_history(history_tokens)


class DecodeStartGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, past_keys, past_values, past_mask):
        return self.model.decode_start(past_keys, past_values, past_mask)


class DecodeNextGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, past_keys, past_values, past_mask, beam_keys, beam_values, parents, new_tokens):
        return self.model.decode_next(past_keys, past_values, past_mask, beam_keys, beam_values, parents,
                                      new_tokens)


class DecodeStepGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, past_keys, past_values, past_mask, beam_tokens):
        return self.model.decode_step(past_keys, past_values, past_mask, beam_tokens)
