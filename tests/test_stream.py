"""The streaming document-level scan gives exactly the in-memory report, holding fewer texts."""

from __future__ import annotations

import gzip
import json
import os

from dedup.config import ScanConfig
from dedup.io import iter_documents, read_corpus
from dedup.pipeline import scan, scan_stream
from dedup.report import report_to_dict
from dedup.rules import resolve
from dedup.stream import ShingleSpool, TextSpool, streamable, write_shingles

from .conftest import BBC_FIXTURE, SEEDS, scan_json


def _strip(rep) -> dict:
    d = report_to_dict(rep)
    d.pop("stats")
    return d


def test_stream_equals_in_memory_on_fixtures():
    paths = [str(SEEDS), str(BBC_FIXTURE)]
    for jobs in (1, 2):
        cfg = ScanConfig(select=("DUP101", "DUP102"), jobs=jobs)
        mem = scan(read_corpus(paths), cfg)
        st = scan_stream(iter_documents(paths), cfg)
        assert _strip(st) == _strip(mem)
        assert st.stats["streamed"] is True
        # documents keep no text: memory is bounded by the index, not the corpus
        assert not any(d.text for d in st.documents)
        assert all(d.chars == len(m.text) for d, m in zip(st.documents, mem.documents, strict=True))


def test_cli_streams_jsonl_gz_like_txt(tmp_path):
    docs = read_corpus([str(BBC_FIXTURE)])
    p = tmp_path / "c.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d.id, "text": d.text}) + "\n")
    a = scan_json(str(p), "--select", "DUP101,DUP102")
    b = scan_json(str(BBC_FIXTURE), "--select", "DUP101,DUP102")
    assert a["stats"]["streamed"] is True
    assert a["clusters"] == b["clusters"]
    assert [(f["doc"], f["rule"], f["text"]) for f in a["findings"]] == \
        [(f["doc"], f["rule"], f["text"]) for f in b["findings"]]


def test_streamable_only_for_document_rules():
    assert streamable(resolve(["DUP101", "DUP102"], []), ScanConfig())
    assert not streamable(resolve([], []), ScanConfig())
    assert not streamable(resolve(["DUP102"], []), ScanConfig(engine="ray"))


def test_spool_round_trips_any_text():
    s = TextSpool()
    texts = ["", "ascii", "ünï cödé ✓", "lone \ud800 surrogate", "x" * 100000]
    for t in texts:
        s.add(t)
    s.flush()
    assert [s.get(i) for i in range(len(texts))] == texts
    s.close()


def test_shingle_spool_round_trips_batches():
    from dedup.fingerprint.minhash import batch_shingles, text_shingles

    texts = ["one two three four five six", "", "short text", "ünï cödé ✓ and more words here too"]
    s = ShingleSpool()
    for lo in (0, 2):
        sh, counts = batch_shingles(texts[lo:lo + 2], 5)
        s.add_batch(*write_shingles(s.dir, sh), counts)  # appended to one part file, at growing offsets
    assert len(s.paths) == 1
    assert [s[i].tolist() for i in range(len(texts))] == [text_shingles(t, 5).tolist() for t in texts]
    s.close()
    assert not os.path.exists(s.dir)
