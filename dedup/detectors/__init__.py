"""Reference-free detectors: translation artifacts (``MT3xx``), boilerplate (``BP2xx``) and
language (``LANG4xx``).

Each detector is a pure ``text -> list[Hit]`` registered with its rule in
:data:`~dedup.detectors.base.DETECTORS` (importing this package registers them all);
:func:`run_detectors` runs the selected ones over a corpus, adds the corpus-level line-frequency
detector (``BP206``), sets each document's ``lang`` and returns findings with exact offsets.

Overlaps are settled so that ``dedup clean`` can apply every finding: a span inside an earlier or
longer one is dropped (a boilerplate line swallows the artifacts inside it). ``info`` findings are
advisory and kept as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import kernels
from ..config import ScanConfig
from ..model import Document, Finding
from ..rules import RULES, make_finding
from ..workers import fork_map, size_runs
from . import artifacts, boilerplate, language  # noqa: F401  (registers the rules)
from .base import DETECTORS, GATES, LINE_DETECTORS, Hit, Lines, detector, line_spans
from .boilerplate import frequent_lines
from .language import document_languages, find_language_switches, remembering_detect, sample_scripts
from .words import WordTable

#: Rules that need more than one document's text (run by :func:`run_detectors` itself).
CORPUS_RULES = ("BP206",)
_SPECIAL = ("LANG401",)


def detect_text(text: str, codes: frozenset[str] | None = None) -> list[tuple[str, Hit]]:
    """``(code, hit)`` of every selected per-document detector on ``text``, overlaps settled.

    >>> [(c, h.fix) for c, h in detect_text("He spoke of the the plan. .", frozenset({"MT301", "MT306"}))]
    [('MT306', None), ('MT301', '.')]
    """
    chosen = sorted(c for c in DETECTORS if (codes is None or c in codes) and c not in _SPECIAL)
    found = [(c, h) for c in chosen for h in DETECTORS[c](text)]
    return settle(found)


def settle(found: list[tuple[str, Hit]]) -> list[tuple[str, Hit]]:
    """Drop hits that overlap an earlier-starting or longer kept hit (``info`` rules never drop)."""
    advisory = [(c, h) for c, h in found if RULES[c].severity == "info"]
    rest = sorted(((c, h) for c, h in found if RULES[c].severity != "info"),
                  key=lambda ch: (ch[1].start, -(ch[1].end - ch[1].start), ch[0]))
    # One pass in start order (not every kept hit against every hit: a document with thousands of
    # hits, such as repeated lines, made that quadratic). A kept hit starts at or before the one
    # at hand, so a non-empty hit overlaps a kept one exactly when some kept non-empty hit ends
    # after its start (a kept empty hit never covers a later start); an empty hit at p when a kept
    # non-empty hit starting before p ends after p, or a kept empty hit sits at p.
    kept: list[tuple[str, Hit]] = []
    end_all = end_before = end_here = -1  # max end of kept non-empty hits: all, start < at, start == at
    at = None
    empty_at: set[int] = set()
    for c, h in rest:
        if h.start != at:
            end_before, end_here, at = max(end_before, end_here), -1, h.start
        if h.start == h.end:
            if end_before > h.start or h.start in empty_at:
                continue
            empty_at.add(h.start)
        else:
            if end_all > h.start:
                continue
            end_all, end_here = max(end_all, h.end), max(end_here, h.end)
        kept.append((c, h))
    return sorted(kept + advisory, key=lambda ch: (ch[1].start, ch[1].end, ch[0]))


def run_detectors(docs: Sequence[Document], codes: frozenset[str], cfg: ScanConfig) -> list[Finding]:
    """Findings of the selected detectors over ``docs``; sets ``doc.lang`` on every document.

    Documents go in batches of about :data:`BATCH_CHARS` characters (in ``cfg.jobs`` processes for
    large corpora; same findings in the same order): the words of a batch are
    found once, in bulk (:class:`~dedup.detectors.words.WordTable`), for the document languages,
    the language-switch candidates and the detectors' gates (which skip a detector on the
    documents where it surely finds nothing). The corpus-wide line count (``BP206``) is one more
    task, which one process does while the others start on the batches; each document's hits
    are settled once it is done.
    """
    chosen = [c for c in sorted(DETECTORS) if c in codes and c not in _SPECIAL]
    by_line = any(c in LINE_DETECTORS for c in chosen)
    frequent = "BP206" in codes
    texts = [d.text for d in docs]
    chars = sum(map(len, texts))
    langdetect_docs = language.langdetect_share(texts) * len(texts)  # estimated
    jobs = cfg.jobs if chars >= PARALLEL_MIN_CHARS or langdetect_docs >= PARALLEL_MIN_LANGDETECT else 1
    batches = size_runs(map(len, texts), min(BATCH_CHARS, -(-chars // (4 * jobs))) if jobs > 1 else BATCH_CHARS)
    # In one process, every document is split into lines once, for BP206 and the line detectors.
    spans = [line_spans(t) for t in texts] if frequent and jobs == 1 else []
    detect = remembering_detect()

    def run(batch: tuple[int, int]) -> tuple[list[str | None], list[list[tuple[str, Hit]]]]:
        """The languages of the batch's documents and, per document, the hits of every
        selected rule but BP206, not yet settled."""
        lo, hi = batch
        words = WordTable.build(texts[lo:hi])
        scripts = sample_scripts(texts[lo:hi], words)
        langs = [lang for lang, _ in document_languages(texts[lo:hi], words, detect, scripts)]
        switches = (find_language_switches(texts[lo:hi], langs, words, detect, scripts)
                    if "LANG401" in codes else None)
        gates = {c: GATES[c](words).tolist() for c in chosen if c in GATES}
        out = []
        for j, text in enumerate(texts[lo:hi]):
            lined = Lines(text, spans[lo + j] if spans else None) if by_line else None
            found = [(c, h) for c in chosen if c not in gates or gates[c][j]
                     for h in (DETECTORS[c](text, lined) if c in LINE_DETECTORS else DETECTORS[c](text))]
            if switches is not None:
                found.extend(("LANG401", h) for h in switches[j])
            out.append(found)
        return langs, out

    def task(k: int) -> tuple[list[str | None], list[list[tuple[str, Hit]]]] | list[list[Hit]]:
        return frequent_lines(texts, spans or None) if k < 0 else run(batches[k])

    # langdetect's compiled trial, loaded here before the workers fork, when it pays for its loading
    with kernels.language(langdetect_docs * LANGDETECT_KERNEL_SAVING >= LANGDETECT_KERNEL_MIN_SAVING):
        done = fork_map(task, ([-1] if frequent else []) + list(range(len(batches))), jobs)
    corpus = done.pop(0) if frequent else None
    findings: list[Finding] = []
    for (lo, hi), result in zip(batches, done, strict=True):
        langs, per_doc = result
        for i, lang, found in zip(range(lo, hi), langs, per_doc, strict=True):
            doc = docs[i]
            doc.lang = lang
            if corpus is not None:
                found.extend(("BP206", h) for h in corpus[i])
            for code, h in settle(found):
                findings.append(make_finding(code, doc.id, doc.text, h.start, h.end, h.message, h.score,
                                             fix=h.fix))
    return findings


#: Batches go to ``cfg.jobs`` worker processes when the corpus has at least this many characters
#: (half a megabyte: a corpus that needs langdetect costs 0.3-2 ms a document, so both cores pay off),
#: or when langdetect decides the language of at least PARALLEL_MIN_LANGDETECT documents (0.5-1.8 ms
#: each: 2,334 short Russian documents, 0.48 M characters, took 1.93 s in one process, 1.45-1.55 s in
#: two).
PARALLEL_MIN_CHARS = 500_000
PARALLEL_MIN_LANGDETECT = 1_000
#: CPU-seconds the compiled langdetect trial (:func:`dedup.kernels.language`) saves a document whose
#: language langdetect decides (1.4-1.8 -> 0.4 ms a 600-character MLQE-PE sample); it is loaded
#: when that adds up to LANGDETECT_KERNEL_MIN_SAVING (numba's import and the kernel take ~0.45 s,
#: what 0.9 CPU-s saves on two cores): from about 900 such documents.
LANGDETECT_KERNEL_SAVING, LANGDETECT_KERNEL_MIN_SAVING = 0.001, 0.9
#: Characters of text per batch of :func:`run_detectors` (bounds the memory of its arrays).
BATCH_CHARS = 4_000_000


__all__ = ["CORPUS_RULES", "DETECTORS", "Hit", "detect_text", "detector", "run_detectors", "settle"]
