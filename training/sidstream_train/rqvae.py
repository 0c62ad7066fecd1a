"""Residual-quantized VAE (TIGER): MLP encoder/decoder with L residual codebooks of K codes.

Training follows the recipe that avoids codebook collapse: straight-through estimator, per-level
codebook + commitment losses (beta), k-means codebook initialisation on the first batch, and
revival of codes that went unused during an epoch.
"""
import numpy as np
import torch
from torch import nn


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def kmeans(x, k, iters, generator):
    """Plain Lloyd's k-means on a tensor [n, d]; empty clusters are re-seeded from random points."""
    n = x.shape[0]
    centers = x[torch.randperm(n, generator=generator)[:k]].clone()
    for _ in range(iters):
        assign = torch.cdist(x, centers).argmin(1)
        for c in range(k):
            members = x[assign == c]
            if len(members) > 0:
                centers[c] = members.mean(0)
            else:
                centers[c] = x[torch.randint(n, (1,), generator=generator)]
    return centers


class RQVAE(nn.Module):
    def __init__(self, dim_in, hidden, latent, levels, codebook_size):
        super().__init__()
        self.levels = levels
        self.codebook_size = codebook_size
        self.encoder = mlp([dim_in, *hidden, latent])
        self.decoder = mlp([latent, *reversed(hidden), dim_in])
        self.codebooks = nn.Parameter(torch.zeros(levels, codebook_size, latent))

    def quantize(self, z):
        """Returns (codes [B, L], quantized sum [B, latent], codebook loss, commitment loss, residual)."""
        residual = z
        quantized = torch.zeros_like(z)
        codes = []
        codebook_loss = z.new_zeros(())
        commit_loss = z.new_zeros(())
        for level in range(self.levels):
            book = self.codebooks[level]
            dist = (residual.pow(2).sum(1, keepdim=True)
                    - 2 * residual @ book.t()
                    + book.pow(2).sum(1).unsqueeze(0))
            idx = dist.argmin(1)
            chosen = book[idx]
            codebook_loss = codebook_loss + (residual.detach() - chosen).pow(2).sum(1).mean()
            commit_loss = commit_loss + (residual - chosen.detach()).pow(2).sum(1).mean()
            quantized = quantized + chosen
            residual = residual - chosen.detach()
            codes.append(idx)
        return torch.stack(codes, 1), quantized, codebook_loss, commit_loss, residual

    def forward(self, x):
        z = self.encoder(x)
        codes, quantized, cb_loss, commit_loss, residual = self.quantize(z)
        # Straight-through: the decoder sees the quantized latent, the encoder gets its gradient.
        z_q = z + (quantized - z).detach()
        recon = self.decoder(z_q)
        return recon, codes, cb_loss, commit_loss, residual

    @torch.no_grad()
    def kmeans_init(self, x, iters, generator):
        residual = self.encoder(x)
        for level in range(self.levels):
            centers = kmeans(residual, self.codebook_size, iters, generator)
            self.codebooks.data[level] = centers
            idx = torch.cdist(residual, centers).argmin(1)
            residual = residual - centers[idx]

    @torch.no_grad()
    def revive_dead_codes(self, x, usage, generator):
        """Re-seeds codes with zero usage from residuals of random items; returns how many per level."""
        revived = []
        z = self.encoder(x)
        residual = z
        for level in range(self.levels):
            dead = (usage[level] == 0).nonzero().flatten()
            if len(dead) > 0:
                pick = torch.randint(residual.shape[0], (len(dead),), generator=generator)
                noise = 0.01 * torch.randn(len(dead), residual.shape[1], generator=generator)
                self.codebooks.data[level, dead] = residual[pick] + noise * residual[pick].norm(dim=1, keepdim=True)
            revived.append(int(len(dead)))
            book = self.codebooks[level]
            idx = torch.cdist(residual, book).argmin(1)
            residual = residual - book[idx]
        return revived

    @torch.no_grad()
    def encode(self, x, batch=4096):
        codes, norms = [], []
        for i in range(0, x.shape[0], batch):
            z = self.encoder(x[i:i + batch])
            c, _, _, _, residual = self.quantize(z)
            codes.append(c)
            norms.append(residual.norm(dim=1))
        return torch.cat(codes), torch.cat(norms)


def sid_stats(codes, levels, codebook_size):
    """Code diversity, per-level usage and collision figures of an [items, L] code matrix."""
    codes = np.asarray(codes)
    n = codes.shape[0]
    groups = {}
    for row in map(tuple, codes):
        groups[row] = groups.get(row, 0) + 1
    colliding = sum(c for c in groups.values() if c > 1)
    return {
        "items": int(n),
        "unique_sids": len(groups),
        "diversity": len(groups) / n,
        "usage_per_level": [len(np.unique(codes[:, l])) / codebook_size for l in range(levels)],
        "collision_rate": colliding / n,
        "max_collision_depth": max(groups.values()),
    }


def assign_collision_codes(codes):
    """Numbers items sharing an L-level prefix 0, 1, ... in catalog order; returns [items] ints."""
    seen = {}
    out = np.zeros(len(codes), dtype=np.int64)
    for i, row in enumerate(map(tuple, np.asarray(codes))):
        out[i] = seen.get(row, 0)
        seen[row] = out[i] + 1
    return out


def train(embeddings, cfg, log):
    g = torch.Generator().manual_seed(cfg["seed"])
    x = torch.from_numpy(embeddings)
    model = RQVAE(x.shape[1], cfg["hidden"], cfg["latent"], cfg["levels"], cfg["codebook_size"])
    n = x.shape[0]
    batch = min(cfg["batch"], n)
    first = torch.randperm(n, generator=g)[:max(batch, cfg["codebook_size"] * 4)]
    model.kmeans_init(x[first], cfg["kmeans_iters"], g)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    history = []
    for epoch in range(1, cfg["epochs"] + 1):
        perm = torch.randperm(n, generator=g)
        usage = torch.zeros(cfg["levels"], cfg["codebook_size"], dtype=torch.long)
        totals = np.zeros(4)
        for i in range(0, n, batch):
            xb = x[perm[i:i + batch]]
            recon, codes, cb, commit, residual = model(xb)
            rec = (recon - xb).pow(2).sum(1).mean()
            loss = rec + cb + cfg["beta"] * commit
            opt.zero_grad()
            loss.backward()
            opt.step()
            for level in range(cfg["levels"]):
                usage[level] += torch.bincount(codes[:, level], minlength=cfg["codebook_size"])
            totals += np.array([rec.item(), cb.item(), commit.item(), residual.norm(dim=1).mean().item()]) * len(xb)
        totals /= n
        revived = model.revive_dead_codes(x, usage, g) if epoch < cfg["epochs"] else [0] * cfg["levels"]
        if epoch % cfg["report_every"] == 0 or epoch == cfg["epochs"]:
            codes, _ = model.encode(x)
            stats = sid_stats(codes.numpy(), cfg["levels"], cfg["codebook_size"])
            row = {"epoch": epoch, "reconstruction": totals[0], "codebook_loss": totals[1],
                   "commitment_loss": totals[2], "residual_norm": totals[3], "revived": revived, **stats}
            history.append(row)
            log(f"rqvae epoch {epoch:4d}/{cfg['epochs']} recon={totals[0]:.4f} residual={totals[3]:.4f} "
                f"usage={['%.3f' % u for u in stats['usage_per_level']]} diversity={stats['diversity']:.4f} "
                f"collisions={stats['collision_rate']:.4f} max_depth={stats['max_collision_depth']} revived={revived}")
    model.eval()
    return model, history
