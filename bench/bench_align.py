"""Alignment benchmarks (``python bench/run.py align``), each with a baseline from the same run.

1. Word tags on MLQE-PE ru-en (train.mt vs train.pe, gold = word tags at odd positions of
   train.tags): MCC of ``dedup align --pairs`` (tokens overlapped by a span are BAD) vs plain
   rapidfuzz ``Levenshtein.opcodes`` on tokens.
2. Sentence alignment precision/recall on pseudo-documents of 30 MT sentences vs their
   post-edits, with sentences dropped on either side, adjacent MT sentences merged and swapped; baselines:
   the same DP without the swap-recovery pass, the DP filling equal gaps only (the first version), and
   position-only 1-1 pairing; ablation: the merge penalty of the previous version.
3. Graded text reuse (:func:`graded_reuse`): portions of BBC articles copied, lightly revised and
   heavily revised (:func:`revise`), and the most similar portion of another article on the same
   topic (independent: nothing may be claimed), all in one corpus through the passage stage;
   document pairs found and sentence-pair precision/recall per grade, vs rapidfuzz
   ``token_set_ratio`` >= 70 on the sentence pairs of each (given) document pair. A regression
   check for the aligner, not a target to tune constants to.
4. Passage stage wall and CPU time on the BBC corpus and the seeds, in one process and in two,
   vs the floor of issue 7 (read, lowercase, word-split and hash every token), with the machine
   load and the cores really free in the same run.
"""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
MLQE = DATA / "mlqe-pe-ru-en"


def mcc(tp: int, tn: int, fp: int, fn: int) -> float:
    d = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / d if d else 0.0


def _score(preds, golds) -> float:
    tp = tn = fp = fn = 0
    for pred, gold in zip(preds, golds, strict=True):
        for p, g in zip(pred, gold, strict=True):
            tp += p and g
            tn += not p and not g
            fp += p and not g
            fn += g and not p
    return mcc(tp, tn, fp, fn)


def word_tags() -> None:
    mt = (MLQE / "train.mt").read_text(encoding="utf-8").split("\n")
    pe = (MLQE / "train.pe").read_text(encoding="utf-8").split("\n")
    tags = (MLQE / "train.tags").read_text(encoding="utf-8").split("\n")
    n = min(len(mt), len(pe), len(tags))
    idx = [i for i in range(n) if mt[i].strip()]
    golds = [[t == "BAD" for t in tags[i].split()[1::2]] for i in idx]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pairs.jsonl"
        out = Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps({"id": i, "reference": pe[i], "text": mt[i]}) + "\n" for i in idx),
                       encoding="utf-8")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dedup", "align", "--pairs", str(src), "-o", str(out)],
                       check=True)
        dt = time.perf_counter() - t
        results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    preds = []
    for i, res in zip(idx, results, strict=True):
        spans = [(s["start"], s["end"]) for s in res["spans"]]
        toks, pos = [], 0
        for tok in mt[i].split(" "):
            if tok:
                toks.append((pos, pos + len(tok)))
            pos += len(tok) + 1
        preds.append([any(s < e2 and s2 < e for s2, e2 in spans) for s, e in toks])
    t = time.perf_counter()
    base = []
    for i in idx:
        h, r = mt[i].split(), pe[i].split()
        bad = [False] * len(h)
        for op in Levenshtein.opcodes(h, r):
            if op.tag in ("replace", "delete"):
                for k in range(op.src_start, op.src_end):
                    bad[k] = True
        base.append(bad)
    bdt = time.perf_counter() - t
    print(f"MLQE-PE ru-en word tags ({len(idx)} sentences):")
    print(f"  dedup align --pairs             MCC {_score(preds, golds):.4f}  ({dt:.1f}s incl. start-up)")
    print(f"  baseline Levenshtein.opcodes    MCC {_score(base, golds):.4f}  ({bdt:.1f}s)")


def pseudo_documents(n_docs: int = 150, size: int = 30, seed: int = 7):
    """(text sentences, reference sentences, gold pairs of original indices) per pseudo-document."""
    mt = (MLQE / "train.mt").read_text(encoding="utf-8").split("\n")
    pe = (MLQE / "train.pe").read_text(encoding="utf-8").split("\n")
    rng = random.Random(seed)
    docs = []
    for d in range(n_docs):
        ids = list(range(d * size, d * size + size))
        # the reference loses ~8% of its sentences, the text another ~8% (never the same one)
        drop_a, drop_b = set(), set()
        for i in ids:
            r = rng.random()
            if r < 0.08:
                drop_a.add(i)
            elif r < 0.16:
                drop_b.add(i)
        a = [[i] for i in ids if i not in drop_a]
        b = [[i] for i in ids if i not in drop_b]
        k = 0
        while k < len(a) - 1:  # the text merges ~8% of adjacent pairs and swaps ~5%
            r = rng.random()
            # a merge joins consecutive source sentences only (never across one the text dropped:
            # no rendering does that, and no 1-2 bead could express it)
            if r < 0.08 and a[k][-1] + 1 == a[k + 1][0]:
                a[k:k + 2] = [a[k] + a[k + 1]]
            elif r < 0.13:
                a[k], a[k + 1] = a[k + 1], a[k]
                k += 1
            k += 1
        ta = [" ".join(mt[i] for i in grp) for grp in a]
        tb = [" ".join(pe[i] for i in grp) for grp in b]
        gold = {(x, y) for x, ga in enumerate(a) for y, gb in enumerate(b) if set(ga) & set(gb)}
        docs.append((ta, tb, gold))
    return docs


def _pr(pred: set, gold: set) -> tuple[int, int, int]:
    return len(pred & gold), len(pred), len(gold)


def sentence_alignment() -> None:
    from dedup.align import align_sentences

    docs = pseudo_documents()
    runs = {  # name: options of align_sentences
        "dedup (DP + gaps, swaps, merges)": {"fill_score": 0.0},
        "ablation: merge penalty 0.06": {"fill_score": 0.0, "merge_penalty": 0.06},
        "baseline: DP without swaps": {"fill_score": 0.0, "swaps": False},
        "baseline: DP, equal gaps only": {"fill_score": 0.1, "fill_unequal": False, "min_containment": None},
    }
    rows = {name: [0, 0, 0] for name in [*runs, "baseline: position 1-1"]}
    t = time.perf_counter()
    for ta, tb, gold in docs:
        for name, opts in runs.items():
            beads = align_sentences(ta, tb, all_words=True, min_score=0.2, **opts)
            pred = {(x, y) for bd in beads for x in range(*bd.a) for y in range(*bd.b)}
            for k, v in enumerate(_pr(pred, gold)):
                rows[name][k] += v
        pred = {(k, k) for k in range(min(len(ta), len(tb)))}
        for k, v in enumerate(_pr(pred, gold)):
            rows["baseline: position 1-1"][k] += v
    dt = time.perf_counter() - t
    print(f"Sentence alignment, {len(docs)} pseudo-documents (MT vs post-edit; drops, merges, swaps):")
    for name, (hit, npred, ngold) in rows.items():
        print(f"  {name:34} precision {hit / max(1, npred):.4f}  recall {hit / max(1, ngold):.4f}")
    print(f"  ({dt:.1f}s for the {len(runs)} DP runs)")


# --- graded text reuse ----------------------------------------------------------------------------

GRADES = ("copied", "light", "heavy", "independent")
_WORDS = re.compile(r"[^\W\d_]{4,}")


def _swap_words(text: str, rng: random.Random, share: float, vocab: list[str]) -> str:
    """Replace ``share`` of the content words (4+ letters, not stopwords) by words of other articles:
    to a lexical aligner a synonym and an unrelated word look the same (neither is shared)."""
    from dedup.align import STOPWORDS

    def sub(m: re.Match) -> str:
        w = m.group()
        if w.lower() in STOPWORDS or rng.random() >= share:
            return w
        new = rng.choice(vocab)
        return new.capitalize() if w[0].isupper() else new

    return _WORDS.sub(sub, text)


def _drop_function_words(text: str, rng: random.Random, share: float) -> str:
    from dedup.align import STOPWORDS

    words = text.split(" ")
    keep = [w for k, w in enumerate(words) if k == 0 or w.lower() not in STOPWORDS or rng.random() >= share]
    return " ".join(keep)


def _reorder_clauses(text: str) -> str:
    """``A, B.`` -> ``B, a.``: the two halves around the comma nearest the middle swap places."""
    body = text.rstrip(".")
    cuts = [m.start() for m in re.finditer(", ", body)]
    if not cuts:
        return text
    c = min(cuts, key=lambda x: abs(x - len(body) / 2))
    a, b = body[:c], body[c + 2:]
    if not a or not b:
        return text
    return f"{b[0].upper()}{b[1:]}, {a[0].lower()}{a[1:]}."


def revise(sents: list[str], grade: str, rng: random.Random, vocab: list[str]) -> list[tuple[str, list[int]]]:
    """Sentences of a revised rendering of ``sents`` with the source sentences each one comes from.

    ``copied``: unchanged. ``light``: 15 % of the content words replaced, 10 % of the function words
    dropped, the clauses of a third of the sentences swapped. ``heavy``: half of the content words
    replaced, a fifth of the function words dropped, clauses of half of the sentences swapped, a
    quarter of the adjacent pairs merged into one sentence and long sentences split at a comma."""
    out = [(s, [k]) for k, s in enumerate(sents)]
    if grade == "copied":
        return out
    light = grade == "light"
    swap, drop, reorder = (0.15, 0.1, 0.33) if light else (0.5, 0.2, 0.5)
    res = []
    for s, src in out:
        s = _drop_function_words(_swap_words(s, rng, swap, vocab), rng, drop)
        if rng.random() < reorder:
            s = _reorder_clauses(s)
        res.append((s, src))
    if light:
        return res
    merged: list[tuple[str, list[int]]] = []
    k = 0
    while k < len(res):
        s, src = res[k]
        if k + 1 < len(res) and rng.random() < 0.25:
            t, src2 = res[k + 1]
            merged.append((f"{s.rstrip('.')} and {t[0].lower()}{t[1:]}", src + src2))
            k += 2
            continue
        parts = s.split(", ", 1)
        if len(s.split()) > 25 and len(parts) == 2 and len(parts[1]) > 20:
            merged.extend([(parts[0] + ".", src), (parts[1][0].upper() + parts[1][1:], src)])
        else:
            merged.append((s, src))
        k += 1
    return merged


def graded_cases(n: int = 60, size: int = 6, seed: int = 11):
    """Source articles of the BBC corpus, and for each a portion of ``size`` sentences rendered at
    each grade; ``independent`` is the most similar portion of the most similar other article of
    the same category (content-stem Jaccard) that shares no sentence with the source: another
    article on the same story or topic. Returns (documents, cases) where a case is
    ``(grade, derived doc id, source doc id, gold {(derived sentence, source sentence)}, derived
    sentence spans)``; source sentences are numbered as :func:`dedup.text.segment.sentences` does."""
    from dedup.align import content_words
    from dedup.model import Document
    from dedup.text.segment import sentences

    rng = random.Random(seed)
    arts = {}
    for p in sorted((DATA / "bbc-news").glob("*/*.txt")):
        text = p.read_text(encoding="utf-8", errors="replace")
        spans = sentences(text)
        arts[f"{p.parent.name}/{p.name}"] = (text, spans, [set(content_words(text[s:e])) for s, e in spans])
    ids = sorted(arts)
    norm = {i: {" ".join(content_words(a[0][s:e], True)) for s, e in a[1]} for i, a in arts.items()}
    stems = {i: set().union(*a[2]) if a[2] else set() for i, a in arts.items()}
    vocab = sorted({w for i in ids[::40] for w in _WORDS.findall(arts[i][0]) if w.islower()})
    chosen: list[str] = []
    taken: set[str] = set()
    for i in rng.sample(ids, len(ids)):
        if len(chosen) == 2 * n:
            break
        text, spans, _ = arts[i]
        if len(spans) < size + 3 or i in taken:
            continue
        cat = i.split("/")[0]
        # the same-topic article: most shared stems, no shared sentence with the source (BBC holds
        # real duplicates and rewrites, which would be true reuse)
        cands = [j for j in ids if j.split("/")[0] == cat and j != i and j not in taken
                 and not (norm[i] & norm[j]) and len(arts[j][1]) >= size]
        if not cands:
            continue
        other = max(cands, key=lambda j: (len(stems[i] & stems[j]) / len(stems[i] | stems[j]), j))
        chosen.append(i)
        taken.update((i, other))
        chosen.append(other)
    docs, cases = [], []
    for i, other in zip(chosen[::2], chosen[1::2], strict=True):
        text, spans, bags = arts[i]
        p0 = rng.randrange(1, len(spans) - size)  # never the title line alone
        part = [text[s:e] for s, e in spans[p0:p0 + size]]
        docs.append(Document(i, text, i))
        for grade in GRADES[:3]:
            rendered = revise(part, grade, rng, vocab)
            did = f"{grade}/{i}"
            body, dspans, gold = "", [], set()
            for k, (s, src) in enumerate(rendered):
                if body:
                    body += " "
                dspans.append((len(body), len(body) + len(s)))
                body += s
                gold.update((k, p0 + x) for x in src)
            docs.append(Document(did, body, did))
            cases.append((grade, did, i, gold, dspans))
        # independent: the portion of the other article sharing most stems with the source portion
        otext, ospans, obags = arts[other]
        want = set().union(*bags[p0:p0 + size])
        q0 = max(range(len(ospans) - size + 1),
                 key=lambda q: (len(want & set().union(*obags[q:q + size])), -q))
        body = " ".join(otext[s:e] for s, e in ospans[q0:q0 + size])
        did = f"independent/{other}"
        docs.append(Document(did, body, did))
        cases.append(("independent", did, i, set(), sentences(body)))
    return docs, cases


def _claims(findings, docs, cases):
    """Claimed document pairs and sentence pairs ``(derived id, derived sentence, source sentence)``
    between each case's derived document and its source."""
    from dedup.text.segment import sentences

    spans = {d.id: sentences(d.text) for d in docs}
    spans.update({did: ds for _, did, _, _, ds in cases})

    def idx(doc: str, span) -> list[int]:
        return [k for k, (s, e) in enumerate(spans[doc]) if s < span[1] and span[0] < e]

    src_of = {did: src for _, did, src, _, _ in cases}
    doc_pairs, sent_pairs = set(), set()
    for f in findings:
        if not f.related or f.related.doc == f.doc:
            continue
        a, b = f.doc, f.related.doc
        if src_of.get(b) == a:
            a, b, swap = b, a, True
        elif src_of.get(a) == b:
            swap = False
        else:
            continue  # between two renderings of one source, or two unrelated documents
        doc_pairs.add(a)
        for p in f.alignment or []:
            pa, pb = (p.b, p.a) if swap else (p.a, p.b)
            sent_pairs.update((a, x, y) for x in idx(a, pa) for y in idx(b, pb))
    return doc_pairs, sent_pairs


def _stray(findings, cases) -> int:
    """Claims between a document of a case and a document of another source (all false)."""
    fam = {src: src for _, _, src, _, _ in cases} | {did: src for g, did, src, _, _ in cases if g != "independent"}
    return sum(1 for f in findings if f.related and f.related.doc != f.doc
               and (f.doc in fam or f.related.doc in fam) and fam.get(f.doc) != fam.get(f.related.doc))


def _rapidfuzz_claims(docs, cases, cutoff: float = 70.0):
    """Baseline: sentence pairs of each derived document and its source whose
    ``fuzz.token_set_ratio`` reaches ``cutoff``; a document pair is claimed with two such pairs."""
    from rapidfuzz import fuzz, process
    from rapidfuzz.utils import default_process

    from dedup.text.segment import sentences

    text = {d.id: d.text for d in docs}
    doc_pairs, sent_pairs = set(), set()
    for _, did, src, _, dspans in cases:
        a = [text[did][s:e] for s, e in dspans]
        ss = sentences(text[src])
        b = [text[src][s:e] for s, e in ss]
        m = process.cdist(a, b, scorer=fuzz.token_set_ratio, processor=default_process, score_cutoff=cutoff)
        hits = {(did, int(x), int(y)) for x, y in zip(*m.nonzero(), strict=True)}
        if len(hits) >= 2:
            doc_pairs.add(did)
            sent_pairs |= hits
    return doc_pairs, sent_pairs


def graded_reuse() -> None:
    """Precision and recall of document-pair and sentence-pair claims per grade of reuse."""
    from dedup.config import ScanConfig
    from dedup.passages import PASSAGE_CODES, find_passages

    docs, cases = graded_cases()
    t = time.perf_counter()
    findings, _ = find_passages(docs, PASSAGE_CODES, ScanConfig(), {})
    dt = time.perf_counter() - t
    runs = {"dedup passages": _claims(findings, docs, cases),
            "baseline: rapidfuzz token_set_ratio >= 70": _rapidfuzz_claims(docs, cases)}
    print(f"Graded text reuse ({len(cases) // 4} BBC source articles, portions of 6 sentences; "
          f"{len(docs)} documents, passage stage {dt:.1f}s):")
    # a rendering absorbed as a variant (DUP103) of another rendering is aligned with that one
    # only: it is found through it when that one is found against the source
    src_of = {did: src for _, did, src, _, _ in cases}
    variant_of = {f.doc: f.related.doc for f in findings if f.rule == "DUP103"}
    for name, (dp, sp) in runs.items():
        print(f"  {name}")
        for grade in GRADES:
            cs = [c for c in cases if c[0] == grade]
            gold = {(did, x, y) for _, did, _, g, _ in cs for x, y in g}
            pred = {p for p in sp if p[0].startswith(grade + "/")}
            npairs = sum(1 for c in cs if c[1] in dp)
            if grade == "independent":
                print(f"    {grade:12} documents claimed {npairs}/{len(cs)} (false), sentence pairs claimed "
                      f"{len(pred)} (false)")
            else:
                hit = len(pred & gold)
                via = ""
                if name.startswith("dedup"):
                    found = sum(1 for c in cs if c[1] in dp or (variant_of.get(c[1]) in dp
                                                                and src_of.get(variant_of.get(c[1])) == c[2]))
                    via = f" ({found}/{len(cs)} with those reported as a variant of a found rendering)"
                print(f"    {grade:12} documents found {npairs}/{len(cs)}{via}, sentence pairs precision "
                      f"{hit / max(1, len(pred)):.3f} recall {hit / max(1, len(gold)):.3f}")
    print(f"  dedup claims between documents of different sources (false): {_stray(findings, cases)}")


def _cpu() -> float:
    """CPU seconds of this process and its finished children."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _burn(n: int = 3_000_000) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def free_cores() -> float:
    """How many cores this run really gets: the speed-up of a pure-Python loop run in two
    processes instead of one (2.0 on an idle two-core machine, ~1.0 when others take a core)."""
    from dedup.workers import fork_map

    t = time.perf_counter()
    fork_map(_burn, [3_000_000] * 2, 1)
    one = time.perf_counter() - t
    t = time.perf_counter()
    fork_map(_burn, [3_000_000] * 2, 2)
    return one / (time.perf_counter() - t)


def passage_runtime(repeats: int = 3) -> None:
    """The passage stage in one process and in two (``jobs``), wall and CPU seconds (median of
    ``repeats``, alternating), against the floor issue 7 measures scans by: reading the corpus,
    lowercasing, word-splitting and hashing every token. The machine is shared: the load average
    and the cores really free (:func:`free_cores`) are printed with the figures."""
    import os
    import statistics

    import numpy as np
    import xxhash

    from dedup.config import ScanConfig
    from dedup.io.readers import read_corpus
    from dedup.passages import PASSAGE_CODES, candidate_pairs, find_passages, index_sentences

    word = re.compile(r"[^\W_]+")

    def floor(paths):
        docs = read_corpus(paths)
        for d in docs:
            toks = word.findall(d.text.lower())
            np.fromiter(map(xxhash.xxh3_64_intdigest, map(str.encode, toks)), dtype=np.uint64, count=len(toks))
        return docs

    load = os.getloadavg()[0]
    print(f"Machine: {os.cpu_count()} cores, load average {load:.2f}, cores free for this run "
          f"{free_cores():.2f} (a pure-Python loop in 2 processes vs 1)")
    for name, paths in (("seeds", [str(ROOT / "fixtures" / "seeds")]),
                        ("BBC", [str(DATA / "bbc-news")])):
        base: list[float] = []
        runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        outputs = {}
        for _ in range(repeats):
            t = time.process_time()
            docs = floor(paths)
            base.append(time.process_time() - t)
            for jobs in (1, 2):
                t, c = time.perf_counter(), _cpu()
                found, clusters = find_passages(docs, PASSAGE_CODES, ScanConfig(jobs=jobs), {})
                runs[jobs].append((time.perf_counter() - t, _cpu() - c))
                outputs[jobs] = ([f.to_dict() for f in found], clusters)
        cand = candidate_pairs(index_sentences(docs))
        mb = sum(len(d.text) for d in docs) / 1e6
        b = statistics.median(base)
        print(f"Passage stage on {name} ({len(docs)} docs, {mb:.1f} MB): {len(cand.align)} document "
              f"pairs aligned, {len(cand.identical)} identical sentence pairs, {len(found)} findings, {len(clusters)} variant clusters; jobs=2 output "
              f"{'identical to' if outputs[1] == outputs[2] else 'DIFFERENT FROM'} jobs=1")
        for jobs, r in runs.items():
            wall, cpu = statistics.median(x[0] for x in r), statistics.median(x[1] for x in r)
            print(f"  jobs={jobs}: {wall:.2f} s wall, {cpu:.2f} CPU-s (all processes); "
                  f"{wall / b:.1f}x and {cpu / b:.1f}x the floor")
        print(f"  baseline (floor) read + lowercase + split + xxh3 every token: {b:.2f} CPU-s")
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    word_tags()
    sentence_alignment()
    graded_reuse()
    passage_runtime()


if __name__ == "__main__":
    main()
