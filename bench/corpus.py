"""Synthetic near-duplicate corpora built from the BBC articles (seeded, reproducible).

Each generated document is a BBC article passed through realistic scraping transformations:
edited words, a site header and footer added, truncation, re-wrapping, retitling. Documents are
written as JSONL (``{"id", "text"}``) under ``bench/data/`` and reused across runs.

    python bench/corpus.py 20000          # -> bench/data/bbc-20000.jsonl
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
BBC = Path(os.environ.get("DEDUP_BBC", HERE.parent.parent / "shared" / "data" / "bbc-news"))

SITES = ["WorldNewsToday", "DailyBrief Online", "The Informer", "NewsHub 24", "GlobalWire",
         "Morning Ledger", "CityPaper", "InformedInsights"]
TAGLINES = ["Get Informed, Stay Inspired", "Your daily dose of news", "News that matters",
            "Independent journalism since 1998", "All the news, all the time"]
FOOTERS = [
    "Leave a Reply\n\nYour email address will not be published. Required fields are marked *",
    "Share this article: Facebook | Twitter | Email",
    "Subscribe to our newsletter for the latest updates.",
    "© 2005 All rights reserved. Read more stories on our homepage.",
    "This site uses cookies. By continuing to browse you agree to our use of cookies.",
]
FILLER = ["reportedly", "also", "now", "still", "however", "recently", "officially", "again"]


def load_bbc() -> list[str]:
    files = sorted(BBC.rglob("*.txt"))
    if not files:
        raise SystemExit(f"BBC articles not found under {BBC} (set DEDUP_BBC)")
    return [f.read_text(encoding="utf-8") for f in files]


def edit_words(text: str, rng: random.Random, rate: float) -> str:
    words = text.split(" ")
    for _ in range(max(1, int(len(words) * rate))):
        i = rng.randrange(len(words))
        op = rng.random()
        if op < 0.4:
            words[i] = rng.choice(FILLER)
        elif op < 0.7:
            words.insert(i, rng.choice(FILLER))
        elif len(words) > 1:
            del words[i]
    return " ".join(words)


def transform(text: str, rng: random.Random) -> str:
    """One scraped copy of ``text``: each transformation applies with some probability."""
    if rng.random() < 0.5:
        text = edit_words(text, rng, rng.choice([0.005, 0.01, 0.03, 0.08]))
    if rng.random() < 0.3:  # truncation
        text = text[: int(len(text) * rng.uniform(0.6, 0.95))]
    if rng.random() < 0.3:  # re-wrapping
        text = " ".join(text.split()) if rng.random() < 0.5 else text.replace(". ", ".\n")
    if rng.random() < 0.4:  # retitle
        lines = text.split("\n", 1)
        text = lines[0].upper() + ("\n" + lines[1] if len(lines) > 1 else "")
    if rng.random() < 0.5:  # site header and footer
        site = rng.choice(SITES)
        text = f"{site}\n\n{rng.choice(TAGLINES)}\n\n{text}\n\n{rng.choice(FOOTERS)}"
    return text


def generate(n: int, seed: int = 0, dup_share: float = 0.35) -> list[dict]:
    """``n`` documents: about ``1 - dup_share`` distinct articles (BBC articles with words shuffled
    between paragraphs of different articles so they are new), the rest transformed copies."""
    rng = random.Random(seed)
    base = load_bbc()
    originals: list[str] = []
    n_orig = max(1, int(n * (1 - dup_share)))
    paragraphs = [p for t in base for p in t.split("\n") if len(p) > 80]
    for i in range(n_orig):
        if i < len(base):
            originals.append(base[i])
        else:  # a new "article": a title and paragraphs drawn from across the corpus
            k = rng.randint(4, 12)
            originals.append(f"Story {i}\n\n" + "\n\n".join(rng.sample(paragraphs, k)))
    docs = [{"id": f"o{i:07d}", "text": t} for i, t in enumerate(originals)]
    for i in range(n - n_orig):
        src = rng.randrange(n_orig)
        docs.append({"id": f"d{i:07d}-of-{src:07d}", "text": transform(originals[src], rng)})
    rng.shuffle(docs)
    return docs


def corpus_path(n: int, seed: int = 0) -> Path:
    path = DATA / f"bbc-{n}-s{seed}.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for d in generate(n, seed):
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    return path


def copies_path(n: int, seed: int = 0) -> Path:
    """A corpus of ``n`` scraped copies of the BBC articles themselves (no new articles): every
    article about ``n / 2225`` times, each copy transformed — the shape of a re-scraped news feed."""
    path = DATA / f"bbc-copies-{n}-s{seed}.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        n_articles = len(load_bbc())
        with open(tmp, "w", encoding="utf-8") as f:
            for d in generate(n, seed, dup_share=max(0.0, 1 - n_articles / n)):
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    return path


MLQE = Path(os.environ.get("DEDUP_MLQE", HERE.parent.parent / "shared" / "data" / "mlqe-pe-ru-en"))


def mlqe_path() -> Path:
    """A corpus of short documents in two languages: MLQE-PE's Russian sources, their English
    machine translations and the post-edits (train split), ten lines to a document, 2,100
    documents (``src-00000`` holds source lines 0-9): the Russian third goes to langdetect, the
    English two thirds are recognised by their function words; each translation shares its
    content with a source document and a post-edit."""
    path = DATA / "mlqe-docs.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for part in ("src", "mt", "pe"):
                lines = (MLQE / f"train.{part}").read_text(encoding="utf-8").split("\n")[:7000]
                for k in range(0, len(lines), 10):
                    f.write(json.dumps({"id": f"{part}-{k:05d}", "text": "\n".join(lines[k:k + 10])},
                                       ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    return path


def digests_path(n: int = 120, articles: int = 40, seed: int = 0) -> Path:
    """A corpus of ``n`` long documents: digests of ``articles`` BBC articles each (~800
    sentences, drawn at random), so that about every other pair of digests shares an article,
    somewhere in each — the documents whose alignment in windows (``dedup.passages.align_windows``)
    bounds the cost."""
    path = DATA / f"digests-{n}x{articles}-s{seed}.jsonl"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        texts, rng = load_bbc(), random.Random(seed)
        with open(tmp, "w", encoding="utf-8") as f:
            for k in range(n):
                body = "\n\n".join(texts[i] for i in rng.sample(range(len(texts)), articles))
                f.write(json.dumps({"id": f"digest-{k:03d}", "text": body}, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    return path


if __name__ == "__main__":
    p = corpus_path(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
    print(p, f"{p.stat().st_size / 1e6:.1f} MB")
