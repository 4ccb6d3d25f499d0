"""Properties of a whole scan on random corpora made of real text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.config import ScanConfig
from dedup.model import Document
from dedup.pipeline import scan

from .conftest import SEEDS

PARAS = [p for f in sorted(SEEDS.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n") if p.strip()]

docs_strategy = st.lists(
    st.lists(st.sampled_from(PARAS), min_size=1, max_size=5).map(lambda ps: "\n\n".join(ps)),
    min_size=1, max_size=6,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs_strategy, st.data())
def test_offsets_slice_and_identical_documents_cluster(texts, data):
    # duplicate one document byte for byte
    k = data.draw(st.integers(0, len(texts) - 1))
    texts = [*texts, texts[k]]
    docs = [Document(f"d{i}", t, f"d{i}") for i, t in enumerate(texts)]
    rep = scan(docs, ScanConfig())
    by_id = {d.id: d.text for d in docs}
    for f in rep.findings:
        assert by_id[f.doc][f.start:f.end] == f.text
        assert 0 <= f.start <= f.end <= len(by_id[f.doc])
        if f.related:
            assert 0 <= f.related.start <= f.related.end <= len(by_id[f.related.doc])
        for p in f.alignment or []:
            assert 0 <= p.a[0] <= p.a[1] <= len(by_id[f.doc])
            assert 0 <= p.b[0] <= p.b[1] <= len(by_id[f.related.doc])
    twin = f"d{len(texts) - 1}"
    assert any(twin in c.members and f"d{k}" in c.members and c.kind in ("exact", "near-duplicate")
               for c in rep.clusters)
    again = scan([Document(d.id, d.text, d.source) for d in docs], ScanConfig())
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in rep.findings]
