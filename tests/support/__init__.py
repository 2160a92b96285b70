"""What the tests share: answer invariants (:mod:`.invariants`), deterministic fake
embeddings (:mod:`.fakes`), real servers and the browser (:mod:`.ui`), and the
concurrent-users driver (:mod:`.load`, also used by ``benchmarks/load.py``)."""
