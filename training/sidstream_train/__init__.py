"""Reference trainer for sidstream model bundles (RQ-VAE + generative SID decoder)."""
