"""Unit tests of the reference trainer (run: /usr/bin/python3 -m unittest discover training/tests)."""
import os
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sidstream_train import rqvae  # noqa: E402
from sidstream_train.beam import SidIndex, beam_search, history_tokens  # noqa: E402
from sidstream_train.decoder import SidDecoder, TokenLayout  # noqa: E402


class SidStatsTest(unittest.TestCase):
    def test_diversity_usage_and_collisions(self):
        codes = np.array([[0, 1], [0, 1], [1, 2], [3, 3]])
        stats = rqvae.sid_stats(codes, levels=2, codebook_size=4)
        self.assertEqual(stats["unique_sids"], 3)
        self.assertAlmostEqual(stats["diversity"], 0.75)
        self.assertEqual(stats["usage_per_level"], [0.75, 0.75])
        self.assertAlmostEqual(stats["collision_rate"], 0.5)
        self.assertEqual(stats["max_collision_depth"], 2)

    def test_collision_codes_number_items_of_a_prefix_in_catalog_order(self):
        codes = np.array([[5, 1], [2, 2], [5, 1], [5, 1]])
        self.assertEqual(rqvae.assign_collision_codes(codes).tolist(), [0, 0, 1, 2])


class RqVaeTest(unittest.TestCase):
    def test_training_uses_the_codebooks_and_separates_clusters(self):
        g = torch.Generator().manual_seed(0)
        centers = torch.randn(16, 24, generator=g) * 3
        x = (centers.repeat(40, 1) + 0.05 * torch.randn(640, 24, generator=g)).numpy().astype(np.float32)
        cfg = {"seed": 1, "hidden": [32], "latent": 8, "levels": 2, "codebook_size": 8, "epochs": 15,
               "batch": 128, "lr": 3e-3, "beta": 0.25, "kmeans_iters": 5, "report_every": 15}
        model, history = rqvae.train(x, cfg, lambda m: None)
        codes, _ = model.encode(torch.from_numpy(x))
        stats = rqvae.sid_stats(codes.numpy(), 2, 8)
        # 16 well-separated clusters into 64 possible SIDs: no collapse onto a few codes.
        self.assertGreaterEqual(stats["unique_sids"], 12)
        self.assertGreaterEqual(min(stats["usage_per_level"]), 0.5)
        self.assertEqual(history[-1]["epoch"], 15)

    def test_straight_through_estimator_passes_gradients_to_the_encoder(self):
        model = rqvae.RQVAE(6, [8], 4, 2, 4)
        torch.nn.init.normal_(model.codebooks)
        x = torch.randn(5, 6)
        recon, _, cb, commit, _ = model(x)
        ((recon - x).pow(2).sum() + cb + commit).backward()
        self.assertGreater(model.encoder[0].weight.grad.abs().sum().item(), 0)
        self.assertGreater(model.codebooks.grad.abs().sum().item(), 0)


class DecoderTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.layout = TokenLayout(3, 4, 4)
        self.model = SidDecoder(self.layout, 16, 1, 2, 32, max_history_items=5).eval()
        self.sids = np.array([[0, 1, 2], [0, 1, 3], [1, 0, 0], [3, 3, 3]])
        self.collisions = np.array([0, 0, 0, 0])

    def test_token_layout_tiles_the_vocabulary(self):
        self.assertEqual(self.layout.level_offsets, [2, 6, 10])
        self.assertEqual(self.layout.collision_offset, 14)
        self.assertEqual(self.layout.vocab_size, 18)
        self.assertEqual(self.layout.item_tokens([1, 2, 3], 9), [3, 8, 13, 17])

    def test_left_padding_does_not_change_the_prediction(self):
        short = history_tokens(self.layout, [[0, 1]], self.sids, self.collisions, 5)
        padded = history_tokens(self.layout, [[0, 1], [0, 1, 2, 3]], self.sids, self.collisions, 5)[:1]
        self.assertGreater(padded.shape[1], short.shape[1])
        beam = torch.tensor([[[1, 2]]])
        with torch.no_grad():
            a = self.model.decode_step(*self.model.encode_history(short), beam)
            b = self.model.decode_step(*self.model.encode_history(padded), beam)
        self.assertTrue(torch.allclose(a, b, atol=1e-5))

    def test_decode_step_matches_teacher_forcing(self):
        hist = history_tokens(self.layout, [[0, 2]], self.sids, self.collisions, 5)
        target = torch.tensor([[1, 0, 0]])
        with torch.no_grad():
            forced = self.model.teacher_forced_logits(hist, target).log_softmax(-1)
            pk, pv, pm = self.model.encode_history(hist)
            step2 = self.model.decode_step(pk, pv, pm, torch.tensor([[[1, 3, 6]]]))
        self.assertTrue(torch.allclose(forced[0, 2], step2[0, 0], atol=1e-5))

    def test_beam_search_emits_only_existing_sids_and_never_pads(self):
        index = SidIndex(self.sids, self.collisions, ["a", "b", "c", "d"], 3, 4)
        hist = history_tokens(self.layout, [[0]], self.sids, self.collisions, 5)
        results = beam_search(self.model, index, hist, beam_width=64, top_items=10)[0]
        self.assertEqual(len(results), 4)  # only 4 items exist: fewer than K, no padding
        valid = {tuple(s) + (0,) for s in self.sids.tolist()}
        for _, _, sid, _ in results:
            self.assertIn(tuple(sid), valid)
        scores = [r[3] for r in results]
        self.assertEqual(scores, sorted(scores, reverse=True))


if __name__ == "__main__":
    unittest.main()


class SearchGraphTest(unittest.TestCase):
    """The one-graph search's structure; its results are checked from Java (no ONNX Runtime here)."""

    def setUp(self):
        import tempfile
        torch.manual_seed(0)
        self.layout = TokenLayout(3, 5, 5)   # K = 5: trie bits of one byte, sliced to 5 codes
        self.model = SidDecoder(self.layout, 16, 1, 2, 32, max_history_items=5).eval()
        self.dir = tempfile.mkdtemp()
        from sidstream_train import export
        paths = [os.path.join(self.dir, f) for f in ("hist.onnx", "step.onnx", "start.onnx", "next.onnx")]
        export.export_decoder(self.model, paths[0], paths[1], {})
        export.export_cached_decoder(self.model, paths[2], paths[3], {})
        import onnx
        self.graphs = [onnx.load(p) for p in (paths[0], paths[2], paths[3])]

    def compose(self, graphs=None):
        from sidstream_train.search_graph import compose
        return compose(*(graphs or self.graphs), 3, 5, self.layout.level_offsets)

    def test_one_graph_with_the_contract_inputs_one_top_k_per_level_and_weights_stored_once(self):
        model = self.compose()
        self.assertEqual([i.name for i in model.graph.input],
                         ["history_tokens", "beam_width", "trie_bits", "trie_first_child", "node_bias"])
        self.assertEqual([o.name for o in model.graph.output], ["prefixes", "scores"])
        self.assertEqual(sum(n.op_type == "TopK" for n in model.graph.node), 3)
        # decode_next appears twice (levels 1 and 2) but its weights only once.
        from onnx import numpy_helper
        stored = sum(numpy_helper.to_array(t).nbytes for t in model.graph.initializer)
        sources = sum(numpy_helper.to_array(t).nbytes for g in self.graphs for t in g.graph.initializer)
        self.assertLessEqual(stored, sources)

    def test_a_graph_without_the_contract_names_is_refused(self):
        import onnx
        renamed = onnx.ModelProto()
        renamed.CopyFrom(self.graphs[2])
        old = renamed.graph.input[5].name          # parents
        renamed.graph.input[5].name = "parent_index"
        for node in renamed.graph.node:
            for i, name in enumerate(node.input):
                if name == old:
                    node.input[i] = "parent_index"
        with self.assertRaises(ValueError):
            self.compose([self.graphs[0], self.graphs[1], renamed])


class RecencyWeightsTest(unittest.TestCase):
    """--recency-half-life-days: a sample one half-life older weighs half as much; mean weight 1."""

    def test_weights_halve_per_half_life_and_average_one(self):
        import train
        day = 86_400_000
        samples = [([], "x", 100 * day), ([], "y", 90 * day), ([], "z", 80 * day)]
        w = train.recency_weights(samples, half_life_days=10)
        self.assertAlmostEqual(float(w.mean()), 1.0, places=6)
        self.assertAlmostEqual(float(w[1] / w[0]), 0.5, places=6)
        self.assertAlmostEqual(float(w[2] / w[0]), 0.25, places=6)
        self.assertTrue(np.all(train.recency_weights(samples, half_life_days=0) == 1))


class RefitSamplesTest(unittest.TestCase):
    """A refit trains on every validation target too, and never on a test target."""

    def test_validation_targets_join_the_training_samples_and_test_targets_never_do(self):
        import train
        from sidstream_train import data
        events = []
        for user, n in (("a", 6), ("b", 5), ("c", 3)):
            events += [data.Interaction(user, f"i{user}{j}", 1000 * (10 * j + ord(user))) for j in range(n)]
        events.sort(key=lambda e: e.timestamp_ms)
        items = sorted({e.item_id for e in events})
        split = data.leave_last_out(data.Dataset(items, np.zeros((len(items), 0), np.float32), events))
        plain = train.training_samples(split, max_history=3)
        refit = train.training_samples(split, max_history=3, with_validation_targets=True)
        extra = refit[len(plain):]
        self.assertEqual(refit[:len(plain)], plain)
        self.assertEqual(sorted(t for _, t, _ in extra), sorted(v[2] for v in split.valid))
        self.assertTrue(all(len(h) <= 3 and h == v[1][-3:] for (h, _, _), v in zip(extra, split.valid)))
        test_targets = {(t[2], t[3]) for t in split.test}
        self.assertFalse(any((target, time) in test_targets for _, target, time in refit))
