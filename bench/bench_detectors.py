"""Reference-free detectors: false findings on clean text, recall on injected noise, throughput.

1. Findings per 20,000 characters on clean human text, per kind (target < 1 for ``artifact`` and
   ``language``): the BBC articles, the body paragraphs of seed document one, the MLQE-PE ru-en
   post-edits (``train.pe``, 50 sentences a document).
2. Recall per corruption type on a synthetic benchmark: clean BBC paragraphs with one injected
   error each (seeded RNG), in the spirit of bicleaner-ai's synthetic noise: punctuation debris,
   repeated words, foreign-script words, merged sentences, dangling quotatives, periods splitting a
   phrase, stray letters, mojibake, unclosed quotes, sentences in another language (real Russian
   sources from ``train.src``). Also: other findings on the same noisy paragraphs per 20k chars.
3. Throughput (characters per CPU second, median of three) of ``run_detectors`` on the BBC
   corpus and on the MLQE-PE post-edits one sentence per document, next to the figures before the
   detectors were made fast (recorded), with baselines measured in the same run: issue 7's floor
   (read, lowercase, split and xxhash every word; the full scan may cost 10x it), langdetect on
   every paragraph (the naive language check), ``ftfy.fix_text`` on every document, and the
   one-time langdetect profile load.
4. The detector stage on the 20,000-document copies corpus (``bench/corpus.py``
   ``copies_path(20000)``, 45 MB, the corpus of issue 7): wall seconds of ``run_detectors`` at
   ``-j 1`` and ``-j 2`` next to the figures before the stage was made cheaper (recorded), with
   issue 7's floor on the same file measured in the same run.

Usage: python bench/bench_detectors.py
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from pathlib import Path

from dedup.config import ScanConfig
from dedup.detectors import run_detectors
from dedup.model import Document
from dedup.rules import RULES, resolve

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
BBC = DATA / "bbc-news"
MLQE = DATA / "mlqe-pe-ru-en"
SEED_ONE = ROOT / "fixtures" / "seeds" / "000_51274af84df42e93.txt"
PER = 20_000
KINDS = ("artifact", "language", "boilerplate")


def bbc_docs() -> list[Document]:
    return [Document(id=str(p.relative_to(BBC)), text=p.read_text(encoding="utf-8", errors="replace"),
                     source=str(p)) for p in sorted(BBC.glob("*/*.txt"))]


def seed_one_body() -> list[Document]:
    lines = [ln for ln in SEED_ONE.read_text(encoding="utf-8").splitlines() if len(ln) >= 80]
    body = lines[2:]  # the title and its repeat are the first two long lines
    return [Document(id="seed1-body", text="\n\n".join(body) + "\n", source=str(SEED_ONE))]


def pe_docs() -> list[Document]:
    sents = (MLQE / "train.pe").read_text(encoding="utf-8").splitlines()
    return [Document(id=f"pe{i:04d}", text="\n".join(sents[i:i + 50]) + "\n", source="train.pe")
            for i in range(0, len(sents), 50)]


def per_kind(docs: list[Document], codes: frozenset[str]) -> tuple[dict[str, float], float, Counter]:
    chars = sum(len(d.text) for d in docs)
    found = run_detectors(docs, codes, ScanConfig())
    counts = Counter(f.kind for f in found if f.severity != "info")
    info = sum(f.severity == "info" for f in found)
    rules = Counter(f.rule for f in found)
    return {k: counts.get(k, 0) * PER / chars for k in KINDS}, info * PER / chars, rules


# --- synthetic noise ------------------------------------------------------------------------------

FOREIGN_WORDS = ["북한", "러시아", "회담", "Москва", "сотрудничество", "北朝鮮", "合作", "ロシア"]
SPLIT_AFTER = re.compile(r"\b[a-z]{3,}(?= [a-z]{3,}\b)")
WORD = re.compile(r"\b[a-z]{3,}\b")


def _sentences(par: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[A-Z][^.!?]*[a-z][.]", par)]


def inject(kind: str, par: str, rng: random.Random, ru: list[str]) -> tuple[str, int, int] | None:
    """``(noisy paragraph, start, end)`` of the injected error, or ``None`` if it does not apply."""
    sents = _sentences(par)
    if kind == "punctuation-debris":
        ends = [e for _, e in sents if e < len(par) and par[e - 1] == "."]
        if not ends:
            return None
        e = rng.choice(ends)
        bad = rng.choice([". .", ". .", ".”.", " .", ",,"])
        if bad == ",,":
            commas = [m.start() for m in re.finditer(r"\w,", par)]
            if not commas:
                return None
            c = rng.choice(commas) + 1
            return par[:c] + ",," + par[c + 1:], c, c + 2
        return par[:e - 1] + bad + par[e:], e - 1, e - 1 + len(bad)
    if kind == "repeated-word":
        ms = [m for m in re.finditer(r"\b(the|of|to|and|a|in|for|with|was|is|on|by)\b", par)]
        if not ms:
            return None
        m = rng.choice(ms)
        return par[:m.end()] + " " + m.group() + par[m.end():], m.end(), m.end() + 1 + len(m.group())
    if kind == "repeated-content-word":
        ms = list(WORD.finditer(par))
        if not ms:
            return None
        m = rng.choice(ms)
        return par[:m.end()] + " " + m.group() + par[m.end():], m.end(), m.end() + 1 + len(m.group())
    if kind == "foreign-script-word":
        ms = list(WORD.finditer(par))
        if not ms:
            return None
        m = rng.choice(ms)
        w = rng.choice(FOREIGN_WORDS)
        return par[:m.end()] + " " + w + par[m.end():], m.end() + 1, m.end() + 1 + len(w)
    if kind == "merged-sentences":
        cand = [e for _, e in sents if re.match(r" [A-Z][a-z]*\b", par[e:e + 30])]
        if not cand:
            return None
        e = rng.choice(cand)
        return par[:e - 1] + par[e:], e - 1, e - 1
    if kind == "dangling-fragment":
        if len(sents) < 2:
            return None
        s, e = rng.choice(sents[:-1])
        tail = rng.choice([" he did.", " he did", " he said"])
        nxt = par[e:].lstrip()
        if not nxt[:1].isupper():
            return None
        end = ("" if tail.endswith(".") else "")
        noisy = par[:s] + "“" + par[s:e] + "”" + tail + end + " " + nxt
        pos = e + 2
        return noisy, pos, pos + len(tail)
    if kind == "split-phrase":
        ms = list(SPLIT_AFTER.finditer(par))
        if not ms:
            return None
        m = rng.choice(ms)
        return par[:m.end()] + "." + par[m.end():], m.end(), m.end() + 1
    if kind == "orphan-letter":
        ms = list(SPLIT_AFTER.finditer(par))
        if not ms:
            return None
        m = rng.choice(ms)
        letter = rng.choice("bcdefghjklmnopqrstuwyz")
        return par[:m.end()] + " " + letter + par[m.end():], m.end(), m.end() + 2
    if kind == "mojibake":
        ms = list(re.finditer(r"\w'\w|\w - \w", par))
        if not ms:
            return None
        m = rng.choice(ms)
        good = m.group().replace("'", "’").replace(" - ", " – ")
        bad = good.encode("utf-8").decode("cp1252", errors="replace")
        return par[:m.start()] + bad + par[m.end():], m.start(), m.start() + len(bad)
    if kind == "unclosed-quote":
        if not sents:
            return None
        s, _ = rng.choice(sents)
        return par[:s] + "“" + par[s:], s, s + 1
    if kind == "language-switch":
        if not sents:
            return None
        _, e = rng.choice(sents)
        src = rng.choice(ru)
        return par[:e] + " " + src + par[e:], e + 1, e + 1 + len(src)
    raise ValueError(kind)


NOISE = {
    "punctuation-debris": "MT301", "repeated-word": "MT306", "repeated-content-word": "MT306",
    "foreign-script-word": "MT307", "merged-sentences": "MT303", "dangling-fragment": "MT302",
    "split-phrase": "MT304", "orphan-letter": "MT305", "mojibake": "MT309",
    "unclosed-quote": "MT308", "language-switch": "LANG401",
}


def synthetic(docs: list[Document], per_type: int = 300, seed: int = 13):
    rng = random.Random(seed)
    pars = [p for d in docs for p in d.text.split("\n\n")[1:] if 200 <= len(p) <= 1200 and '"' not in p]
    ru = [s for s in (MLQE / "train.src").read_text(encoding="utf-8").splitlines() if 60 <= len(s) <= 200]
    rows = []
    codes = resolve([], ["BP206"])
    for kind, code in NOISE.items():
        cases: list[tuple[str, int, int]] = []
        while len(cases) < per_type:
            got = inject(kind, rng.choice(pars), rng, ru)
            if got:
                cases.append(got)
        ds = [Document(id=f"{kind}-{i:04d}", text=t, source="synthetic") for i, (t, _, _) in enumerate(cases)]
        found = run_detectors(ds, codes, ScanConfig())
        by_doc: dict[str, list] = {}
        for f in found:
            by_doc.setdefault(f.doc, []).append(f)
        hit = other = 0
        for d, (_, s, e) in zip(ds, cases, strict=True):
            fs = by_doc.get(d.id, [])
            near = [f for f in fs if f.start <= e + 2 and f.end >= s - 2]
            hit += any(f.rule == code for f in near)
            other += sum(1 for f in fs if f not in near and f.severity != "info")
        chars = sum(len(t) for t, _, _ in cases)
        rows.append((kind, code, hit / len(cases), other * PER / chars))
    return rows


# --- throughput -------------------------------------------------------------------------------------

#: (CPU seconds, MB) of ``run_detectors`` on the same corpora before the detectors were made
#: fast (commit 1d7ea76; median of 3 on this machine, langdetect profiles loaded). Recorded, not
#: re-measured: that code is gone.
BEFORE = {"BBC": (3.12, 5.04), "one sentence per document": (4.05, 0.49)}


def _floor(paths: list[str]) -> float:
    """CPU seconds of issue 7's floor: read the corpus, lowercase, split into words, xxhash every
    word (what any scan must at least do)."""
    import numpy as np
    import xxhash

    from dedup.io.readers import read_corpus

    word = re.compile(r"[^\W_]+")
    t = time.process_time()
    for d in read_corpus(paths):
        toks = word.findall(d.text.lower())
        np.fromiter(map(xxhash.xxh3_64_intdigest, map(str.encode, toks)), dtype=np.uint64, count=len(toks))
    return time.process_time() - t


def _langdetect_load_seconds() -> float:
    """CPU seconds langdetect takes to load its profiles, once per process (fresh interpreter)."""
    import subprocess
    import sys

    code = ("import time; from langdetect import DetectorFactory, detect_langs; "
            "DetectorFactory.seed = 0; t = time.process_time(); detect_langs('warm up the profiles'); "
            "print(time.process_time() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)


def throughput(docs: list[Document], repeats: int = 3) -> None:
    import statistics

    from dedup.detectors.language import _detect

    codes = resolve([], [])
    _detect("warm up the profiles")  # loaded once per process: measured on its own below
    sentences = (MLQE / "train.pe").read_text(encoding="utf-8").splitlines()
    corpora = {"BBC": docs, "one sentence per document": [
        Document(id=f"s{i}", text=s, source="train.pe") for i, s in enumerate(sentences)]}
    for name, corpus in corpora.items():
        chars = sum(len(d.text) for d in corpus)
        cpu, wall = [], []
        for _ in range(repeats):
            t, w = time.process_time(), time.perf_counter()
            run_detectors(corpus, codes, ScanConfig())
            cpu.append(time.process_time() - t)
            wall.append(time.perf_counter() - w)
        dt = statistics.median(cpu)
        before_s, before_mb = BEFORE[name]
        print(f"  {name} ({len(corpus)} docs, {chars / 1e6:.1f} MB): run_detectors (all rules) "
              f"{chars / dt / 1e6:6.2f} MB/s ({dt:.2f} CPU-s, {statistics.median(wall):.2f} s wall, "
              f"median of {repeats}); before: {before_mb / before_s:.2f} MB/s ({before_s:.2f} CPU-s)")
    floor = statistics.median(_floor([str(BBC)]) for _ in range(repeats))
    load = _langdetect_load_seconds()
    print(f"  baseline: issue 7's floor on BBC (read + lowercase + split + xxh3 every word) "
          f"{floor:.2f} CPU-s; langdetect profile load (once per process) {load:.2f} CPU-s")

    from langdetect import DetectorFactory, detect_langs

    sample = docs[:150]
    pars = [p for d in sample for p in d.text.split("\n\n") if p.strip()]
    pchars = sum(len(p) for p in pars)
    t = time.process_time()
    for p in pars:
        DetectorFactory.seed = 0
        detect_langs(p)
    dt = time.process_time() - t
    print(f"  baseline: langdetect every paragraph {pchars / dt / 1e6:7.2f} MB/s  ({len(pars)} paragraphs)")

    import ftfy

    chars = sum(len(d.text) for d in docs)
    t = time.process_time()
    for d in docs:
        ftfy.fix_text(d.text)
    dt = time.process_time() - t
    print(f"  baseline: ftfy.fix_text every doc    {chars / dt / 1e6:7.2f} MB/s")


#: Wall seconds of ``run_detectors`` (all rules) on the copies corpus at -j 1 and -j 2 before the
#: detector stage was made cheaper (commit 150a231; best of 2 on this machine, measured next to
#: the new code). Recorded, not re-measured: that code is gone.
STAGE_BEFORE = {1: 6.96, 2: 4.16}


def stage(repeats: int = 2) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from corpus import copies_path

    from dedup.io.readers import read_corpus

    path = copies_path(20000)
    docs = read_corpus([str(path)])
    codes = resolve([], [])
    chars = sum(len(d.text) for d in docs)
    for jobs in (1, 2):
        walls = []
        for _ in range(repeats):
            for d in docs:
                d.lang = None
            t = time.perf_counter()
            run_detectors(docs, codes, ScanConfig(jobs=jobs))
            walls.append(time.perf_counter() - t)
        best, before = min(walls), STAGE_BEFORE[jobs]
        print(f"  copies corpus ({len(docs):,} docs, {chars / 1e6:.0f} MB), -j {jobs}: run_detectors "
              f"{best:.2f} s wall (best of {repeats}); before: {before:.2f} s ({1 - best / before:.0%} less)")
    floor = min(_floor([str(path)]) for _ in range(repeats))
    print(f"  baseline: issue 7's floor on the same file (read + lowercase + split + xxh3 every word) "
          f"{floor:.2f} CPU-s")


def main() -> None:
    codes = resolve([], [])
    bbc = bbc_docs()
    print(f"clean human text: findings per {PER:,} characters (warning+; info separately); target < 1 "
          "for artifact and language")
    print(f"  {'corpus':<22}{'chars':>10}" + "".join(f"{k:>13}" for k in KINDS) + f"{'info':>8}  rules")
    for name, docs in (("BBC (2,225 articles)", bbc), ("seed 1 body", seed_one_body()),
                       ("MLQE-PE train.pe", pe_docs())):
        rates, info, rules = per_kind(docs, codes)
        chars = sum(len(d.text) for d in docs)
        top = ", ".join(f"{r}:{n}" for r, n in sorted(rules.items()))
        print(f"  {name:<22}{chars:>10,}" + "".join(f"{rates[k]:>13.2f}" for k in KINDS)
              + f"{info:>8.2f}  {top}")

    print("\nsynthetic noise (one injected error per clean BBC paragraph, 300 each, seed 13): recall of "
          "the expected rule at the injected span")
    print(f"  {'corruption':<24}{'rule':<9}{'recall':>7}  other findings/20k")
    for kind, code, recall, other in synthetic(bbc):
        print(f"  {kind:<24}{code:<9}{recall:>7.2f}  {other:.2f}")

    print("\nthroughput (CPU time; langdetect profiles loaded, their one-time load shown below)")
    throughput(bbc)
    print(f"  rules: {len([c for c in RULES if c[:2] in ('MT', 'BP', 'LA')])} detector rules")

    print("\ndetector stage on the copies corpus (issue 7)")
    stage()


if __name__ == "__main__":
    main()
