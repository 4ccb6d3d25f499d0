"""The seed expectations of issue 5: ``clean`` (with its re-scan passes) on what the whole pipeline
reports for the two seed pages (detectors, passages, document duplicates)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from dedup.clean import CleanOptions, clean, rebuild
from dedup.config import ScanConfig
from dedup.io import read_corpus
from dedup.pipeline import scan

from .conftest import SEEDS

ONE, TWO = "000_51274af84df42e93.txt", "002_ab6bd7f1d7c84c87.txt"
TITLE_ONE = ("Cooperation between North Korea and Russia in the military realm has the potential to "
             "pose a threat to international security.")


@pytest.fixture(scope="module")
def seeds():
    docs = read_corpus([str(SEEDS)])
    report = scan(docs, ScanConfig())
    results = {r.doc.id: r for r in clean(report, CleanOptions(), rescan=lambda ds: scan(ds, ScanConfig()))}
    kinds: dict[str, set[str]] = {}
    for f in report.findings:
        kinds.setdefault(f.doc, set()).add(f.kind)
    return {d.id: d.text for d in docs}, results, kinds


def out(seeds, doc: str) -> str:
    r = seeds[1][doc]
    assert r.text is not None and rebuild(r.doc.text, r.manifest_record("x")) == r.text
    return r.text


def paragraphs(text: str, min_len: int = 80) -> list[str]:
    return [p.strip() for p in text.split("\n") if len(p.strip()) >= min_len]


def test_doc_two_keeps_every_summary_paragraph(seeds):
    text = seeds[0][TWO]
    summary = text[: text.index("There is an urgent need")]
    kept = out(seeds, TWO)
    assert paragraphs(summary) and all(p in kept for p in paragraphs(summary))


def test_doc_two_keeps_what_only_the_translated_body_says(seeds):
    kept = out(seeds, TWO)
    for fact in ("nuclear submarine", "Kim Dong-yup", "Choi Yong-hwan"):
        assert fact in kept, fact


def test_doc_one_keeps_its_article(seeds):
    text, kept = seeds[0][ONE], out(seeds, ONE)
    body = text[text.index("Analysts predict"):]
    assert all(p in kept for p in paragraphs(body))


def test_doc_one_keeps_its_title_once(seeds):
    assert out(seeds, ONE).count(TITLE_ONE) == 1


def test_doc_two_keeps_no_comment_form_hashtags_or_byline(seeds):
    kept = out(seeds, TWO)
    for junk in ("Leave a Reply", "Akismet", "will not be published", "#General", "#Hankyoreh",
                 "Reporter Jang Ye-ji"):
        assert junk not in kept, junk


def test_doc_one_keeps_no_site_name_or_tagline(seeds):
    kept = out(seeds, ONE)
    assert "InformedInsights" not in kept and "Get Informed, Stay Inspired" not in kept


def test_doc_two_keeps_no_garbled_span(seeds):
    kept = out(seeds, TWO)
    assert not re.search(r"\. \.", kept)
    assert not re.search(r"\bhe did\b", kept)
    assert "u publish" not in kept


def test_doc_two_keeps_shared_content_exactly_once(seeds):
    kept = out(seeds, TWO)
    for fact in ("Peskov", "Lavrov", "Khasan", "imperialism"):
        assert kept.count(fact) == 1, fact  # not twice, and not lost


def test_cleaning_the_cleaned_seeds_changes_nothing_more(seeds):
    docs = [replace(r.doc, text=r.text) for r in seeds[1].values() if r.text is not None]
    again = clean(scan(docs, ScanConfig()), CleanOptions())
    assert [(r.doc.id, r.action, r.edits) for r in again if r.action != "kept"] == []


def test_every_kind_of_finding_on_doc_two_is_acted_on(seeds):
    reported = seeds[2][TWO]
    applied = {e.kind for e in seeds[1][TWO].edits}
    assert {"boilerplate", "artifact", "duplicate-passage"} <= reported
    assert (reported - {"language"}) <= applied | {"language"}
