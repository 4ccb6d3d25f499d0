"""Reference-free detectors: golden cases (seed pages, one case per example, a negative set),
offsets, overlaps, determinism and the wiring into ``scan``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.config import ScanConfig
from dedup.detectors import DETECTORS, detect_text, run_detectors, settle
from dedup.detectors.base import Hit
from dedup.detectors.boilerplate import frequent_lines
from dedup.model import Document
from dedup.pipeline import scan
from dedup.rules import RULES, resolve

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "fixtures" / "golden" / "detectors"
ALL = resolve([], [])


def load(name: str) -> dict:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


def findings_for(text: str, doc_id: str = "d", codes: frozenset[str] = ALL):
    return run_detectors([Document(id=doc_id, text=text, source=doc_id)], codes, ScanConfig())


def _params(cases: list[dict]) -> list:
    out = []
    for c in cases:
        marks = [pytest.mark.xfail(strict=True, reason=c["xfail"])] if "xfail" in c else []
        out.append(pytest.param(c, marks=marks, id=f"{c['rule']}:{c.get('span', c.get('text', ''))[:30]}"))
    return out


# --- seed document two ----------------------------------------------------------------------------

SEED_TWO = load("seed_two.json")
SEED_TWO_TEXT = (ROOT / SEED_TWO["doc"]).read_text(encoding="utf-8")
SEED_TWO_FINDINGS = findings_for(SEED_TWO_TEXT, "seed2")


@pytest.mark.parametrize("case", _params(SEED_TWO["cases"]))
def test_seed_two_garbled_spans_and_boilerplate(case):
    ctx = SEED_TWO_TEXT.index(case["context"])
    assert SEED_TWO_TEXT.count(case["context"]) == 1, "context must be unique"
    if "at" in case:
        start = SEED_TWO_TEXT.index(case["at"], ctx) + len(case["at"])
    else:
        start = SEED_TWO_TEXT.index(case["text"], ctx)
    end = start + len(case["text"])
    hits = [f for f in SEED_TWO_FINDINGS if f.rule.startswith(case["rule"])
            and f.start <= end and f.end >= start and (start == end or f.start < end)]
    assert hits, f"no {case['rule']} finding at {case['text']!r}"
    f = hits[0]
    assert (f.start, f.end, f.text) == (start, end, case["text"])
    assert f.fix == case["fix"]


def test_seed_two_every_artifact_is_at_least_a_warning_and_run_on_is_info():
    kinds = {(f.rule, f.kind, f.severity) for f in SEED_TWO_FINDINGS}
    assert ("MT310", "artifact", "info") in kinds
    assert all(sev in ("warning", "error") for r, k, sev in kinds if k == "artifact" and r != "MT310")


def test_seed_two_findings_do_not_overlap_except_info():
    spans = sorted((f.start, f.end) for f in SEED_TWO_FINDINGS if f.severity != "info")
    for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
        assert e1 <= s2 or s1 == e1, ((s1, e1), (s2, e2))


def test_seed_two_cleaned_by_findings_has_no_debris_left():
    """Apply every fix (or delete the span), as ``dedup clean`` will, and scan again."""
    text = SEED_TWO_TEXT
    for f in sorted((f for f in SEED_TWO_FINDINGS if f.severity != "info"), key=lambda f: -f.start):
        text = text[:f.start] + (f.fix or "") + text[f.end:]
    again = findings_for(text)
    assert not [f for f in again if f.rule in ("MT301", "MT302", "MT303", "MT304", "MT305")], again
    assert "he did" not in text and " u publish" not in text and ". ." not in text
    assert "discussed. This project" in text and "the North Korea turned" in text


# --- seed document one ----------------------------------------------------------------------------

SEED_ONE = load("seed_one.json")
SEED_ONE_TEXT = (ROOT / SEED_ONE["doc"]).read_text(encoding="utf-8")
SEED_ONE_FINDINGS = findings_for(SEED_ONE_TEXT, "seed1")


def test_seed_one_article_has_no_artifact_or_language_findings():
    start = SEED_ONE_TEXT.index(SEED_ONE["article_from"]) + len(SEED_ONE["article_from"])
    bad = [f for f in SEED_ONE_FINDINGS if f.kind in ("artifact", "language") and f.end > start]
    assert bad == []


@pytest.mark.parametrize("case", SEED_ONE["boilerplate"], ids=lambda c: f"{c['rule']}:{c['text'][:20]}")
def test_seed_one_boilerplate(case):
    pos = -1
    for _ in range(case.get("occurrence", 1)):
        pos = SEED_ONE_TEXT.index(case["text"], pos + 1)
    assert any(f.rule == case["rule"] and (f.start, f.end) == (pos, pos + len(case["text"]))
               for f in SEED_ONE_FINDINGS)


def test_seed_one_document_language_is_english():
    doc = Document(id="s1", text=SEED_ONE_TEXT, source="s1")
    run_detectors([doc], ALL, ScanConfig())
    assert doc.lang == "en"


# --- one case per example, and the negative set ------------------------------------------------------

CASES = load("cases.json")


@pytest.mark.parametrize("case", _params(CASES["positive"]))
def test_positive_case(case):
    text = case["text"]
    if "span" in case:
        base = text.index(case["at"]) + len(case["at"]) if "at" in case else 0
        start = text.index(case["span"], base)
        end = start + len(case["span"])
    else:
        start = end = text.index(case["at"]) + len(case["at"])
    got = [(f.start, f.end, f.fix) for f in findings_for(text) if f.rule == case["rule"]]
    assert (start, end, case["fix"]) in got, got


@pytest.mark.parametrize("text", CASES["negative"])
def test_negative_case_is_not_flagged(text):
    found = [f for f in findings_for(text) if f.kind in ("artifact", "language")]
    assert found == []


def test_every_rule_has_a_positive_golden_case():
    covered = {c["rule"] for c in CASES["positive"] + SEED_TWO["cases"] if "xfail" not in c}
    covered |= {c["rule"] for c in SEED_ONE["boilerplate"]}
    wanted = {c for c in DETECTORS} | {"BP206"}
    assert wanted - covered <= {"MT310", "BP206"}  # covered by their own tests below


# --- corpus-level and document-level rules ---------------------------------------------------------

def test_frequent_lines_flags_site_chrome_not_copied_articles():
    chrome = "Subscribe to InformedInsights for daily analysis"
    docs = [f"Story {i} tells something entirely different, number {i}.\n{chrome}" for i in range(5)]
    copied = "A long article paragraph that was syndicated word for word.\nSecond paragraph."
    docs += [copied, copied + "\nThird.", copied]
    hits = frequent_lines(docs)
    assert all(len(h) == 1 and docs[i][h[0].start:h[0].end] == chrome for i, h in enumerate(hits[:5]))
    assert hits[5:] == [[], [], []]


def test_run_on_paragraph_is_info_and_spans_the_paragraph():
    long = "Kim said the launch would go ahead as planned this year. " * 60
    text = "\n".join(["A short opening paragraph of the story."] * 4 + [long.strip()])
    f = [f for f in findings_for(text) if f.rule == "MT310"]
    assert len(f) == 1 and f[0].severity == "info" and f[0].text == long.strip()


def test_language_switch_reports_probability_as_score():
    case = next(c for c in CASES["positive"] if c["rule"] == "LANG401")
    f = [f for f in findings_for(case["text"]) if f.rule == "LANG401"]
    assert len(f) == 1 and 0.95 <= f[0].score <= 1.0 and "ru" in f[0].message


def test_document_language_set_for_non_english_document():
    doc = Document(id="ru", text="Москва — столица России, крупнейший по численности населения город страны.",
                   source="ru")
    run_detectors([doc], ALL, ScanConfig())
    assert doc.lang == "ru"


# --- registry, selection, settle, offsets ------------------------------------------------------------

def test_rules_registered_with_kinds_and_severities():
    for code in [*DETECTORS, "BP206"]:
        rule = RULES[code]
        family = {"MT": "artifact", "BP": "boilerplate", "LA": "language"}[code[:2]]
        assert rule.kind == family and rule.severity in ("info", "warning", "error")
        assert rule.summary and rule.help
    assert all(300 < int(c[2:]) < 350 for c in DETECTORS if c.startswith("MT"))


def test_select_and_ignore_pick_detectors():
    only_mt = findings_for(SEED_TWO_TEXT, codes=resolve(["MT301"], []))
    assert only_mt and {f.rule for f in only_mt} == {"MT301"}
    no_bp = findings_for(SEED_TWO_TEXT, codes=resolve([], ["boilerplate"]))
    assert no_bp and not any(f.kind == "boilerplate" for f in no_bp)


def test_settle_drops_spans_inside_a_kept_span_and_keeps_info():
    found = [("BP201", Hit(0, 10, "line")), ("MT306", Hit(3, 5, "inside")), ("MT303", Hit(10, 10, "edge")),
             ("MT310", Hit(0, 50, "info"))]
    kept = [(c, h.start, h.end) for c, h in settle(found)]
    assert kept == [("BP201", 0, 10), ("MT310", 0, 50), ("MT303", 10, 10)]


def test_scan_reports_detector_findings_and_languages():
    docs = [Document(id="seed2", text=SEED_TWO_TEXT, source="seed2")]
    report = scan(docs, ScanConfig(select=("MT3", "BP2", "LANG4")))
    rules = {f.rule for f in report.findings}
    assert {"MT301", "MT302", "BP201"} <= rules
    assert report.documents[0].lang == "en"
    assert all(docs[0].text[f.start:f.end] == f.text for f in report.findings)


_TEXT = st.lists(st.sampled_from(list("ab cdThe.,”“\"()\n u한ж#Ãâ€™") + ["the ", ". .", " he did", "This "]),
                 max_size=80).map("".join)


@given(_TEXT)
@settings(max_examples=150, deadline=None)
def test_offsets_slice_the_text_and_fixes_are_short(text):
    for code, h in detect_text(text):
        assert 0 <= h.start <= h.end <= len(text), code
        assert h.fix is None or len(h.fix) <= max(8, h.end - h.start + 1)


def test_deterministic_across_hash_seeds():
    code = ("import json,sys; from dedup.detectors import run_detectors; from dedup.model import Document;"
            "from dedup.rules import resolve; from dedup.config import ScanConfig;"
            "t=open(sys.argv[1],encoding='utf-8').read();"
            "fs=run_detectors([Document(id='d',text=t,source='d')],resolve([],[]),ScanConfig());"
            "print(json.dumps([f.to_dict() for f in fs]))")
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-c", code, str(ROOT / SEED_TWO["doc"])], env=env,
                                capture_output=True, text=True, check=True).stdout)
    assert len(outs) == 1


@pytest.mark.parametrize("kernel, chunk", [(False, None), (True, None), (True, 7)])
def test_fast_langdetect_gives_langdetects_answers_bit_for_bit(kernel, chunk, monkeypatch):
    """dedup.detectors.fastdetect rewrites langdetect's loops: same languages, same probabilities
    (same floats), same failures, on Russian source lines and their English machine translations
    (fixtures/mlqe: the first 300 of MLQE-PE ru-en), mixes of both, the seed pages in 600-character
    samples, and text in other scripts, with URLs, e-mail addresses and runs of spaces — in numpy,
    and with the compiled trial (``kernel``; on Python 3.12+ it stays off), whose stream of random
    words also grows 7 words at a time (``chunk``: every trial runs out of words and starts again)."""
    import random
    import sys

    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    from dedup import kernels
    from dedup.detectors import fastdetect

    from .conftest import FIXTURES, SEEDS

    src = (FIXTURES / "mlqe" / "train-300.src").read_text(encoding="utf-8").splitlines()
    mt = (FIXTURES / "mlqe" / "train-300.mt").read_text(encoding="utf-8").splitlines()
    rng = random.Random(0)
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())]
    samples = [*src[:150], *mt[:150], *(" ".join(rng.sample(src + mt, 3)) for _ in range(100)),
               *(t[i:i + 600] for t in seeds for i in range(0, len(t), 900)),
               "東京は日本の首都です。", "서울은 한국의 수도입니다 https://x.com/a 메일 a@b.com 입니다",
               "Tiếng Việt có dấu  và   nhiều khoảng trắng", "  ", "1234 !!", "ABC DEF GHI jkl",
               "Ελληνικά κείμενα εδώ", "مرحبا بالعالم", "Cześć, jak się masz? Șapte țări"]

    def answers(detect):
        out = []
        for s in samples:
            try:
                out.append([(x.lang, x.prob) for x in detect(s)])
            except LangDetectException as e:
                out.append(str(e))
        return out

    DetectorFactory.seed = 0
    want = answers(detect_langs)
    monkeypatch.setattr(fastdetect._Draws, "_STREAMS", {})  # the kernel's streams of random words
    if chunk:
        monkeypatch.setattr(fastdetect._Draws, "CHUNK", chunk)
        # and the memo of words' n-grams starts empty and holds 5 words: cleared again and again
        monkeypatch.setattr(fastdetect._factory().word_lang_prob_map, "words", ({}, {}))
        monkeypatch.setattr(fastdetect, "WORD_CACHE", 5)
    ran = kernel and sys.version_info < (3, 12)
    with kernels.language(kernel) as on:
        assert on == ran  # numba is a dependency
        assert answers(fastdetect.detect_langs) == want
    assert (0 in fastdetect._Draws._STREAMS) == ran
    if ran and chunk:
        assert len(fastdetect._Draws._STREAMS[0][1]) < 100_000  # grown by doubling from 7 words
        assert all(0 < len(memo) < 50 for memo in fastdetect._factory().word_lang_prob_map.words)  # cleared
    assert {a[0][0] for a in want if isinstance(a, list)} >= {"ru", "en", "ja", "ko", "vi", "el", "ar", "pl"}
    assert "No features in text." in want


def test_cleaning_text_counts_every_code_point_as_langdetect_does():
    """fastdetect counts Latin and non-Latin characters with two regexes: langdetect's own loop
    decides the same on texts of every code point, mixed in proportions around its 1 : 2 cut."""
    import random

    from langdetect.detector import Detector

    from dedup.detectors.fastdetect import FastDetector

    rng = random.Random(4)
    points = [chr(c) for c in range(0x110000)]
    cut = 0
    for lo in range(0, len(points), 4096):  # every code point, 4,096 to a text, with Latin letters
        block = points[lo:lo + 4096]
        for latin in (len(block) // 2 - 1, len(block) // 2 + 1):  # around the cut where all count
            text = "".join(block + rng.choices("AZaz[]^_`z", k=latin))
            got, want = object.__new__(FastDetector), object.__new__(Detector)
            got.text = want.text = text
            got.cleaning_text()
            want.cleaning_text()
            assert got.text == want.text
            cut += got.text != text
    assert cut > 100  # both outcomes seen


def test_fast_detector_starts_as_langdetects():
    """FastDetector sets up what langdetect's Detector does, but makes its random generator only
    for the numpy trials (each detector its own: detectors in several threads give the same
    answers)."""
    import random
    import threading

    from langdetect.detector import Detector

    from dedup.detectors import fastdetect
    from dedup.detectors.fastdetect import FastDetector, _factory

    fast, slow = FastDetector(_factory()), Detector(_factory())
    assert fast.random is None and isinstance(slow.random, random.Random)
    del fast.random, slow.random
    assert vars(fast) == vars(slow)
    texts = [f"Это предложение номер {k} написано по-русски, and this one {k} in English." for k in range(40)]
    want = [[(x.lang, x.prob) for x in fastdetect.detect_langs(t)] for t in texts]
    got: dict[int, list] = {}

    def run(k: int) -> None:
        got[k] = [[(x.lang, x.prob) for x in fastdetect.detect_langs(t)] for t in texts]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(3)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # the threads take turns often, inside the trials
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert all(g == want for g in got.values()) and len(got) == 3


def test_profiles_are_langdetects_profiles():
    """fastdetect's Profiles fills its matrix a profile at a time: every row (all 87k n-grams) and
    the language list equal what langdetect's DetectorFactory.load_profile builds."""
    from langdetect import detector_factory

    from dedup.detectors.fastdetect import Profiles

    detector_factory.init_factory()
    full = detector_factory._factory
    profiles = Profiles(detector_factory.PROFILES_DIRECTORY)
    assert profiles.langlist == full.langlist and len(profiles) == len(full.word_lang_prob_map)
    assert all(gram in profiles and profiles[gram] == row for gram, row in full.word_lang_prob_map.items())
    assert sorted(profiles) == sorted(full.word_lang_prob_map)
    assert "no such n-gram" not in profiles
    with pytest.raises(KeyError):
        profiles["no such n-gram"]


def test_langdetect_kernel_switched_on_by_the_documents_langdetect_decides(monkeypatch):
    """run_detectors loads the compiled langdetect trial when the documents whose language
    langdetect decides (estimated on a sample) would save its loading; findings and languages are
    the same either way."""
    import contextlib

    import dedup.detectors as D
    from dedup import kernels
    from dedup.detectors import language

    from .conftest import FIXTURES

    src = (FIXTURES / "mlqe" / "train-300.src").read_text(encoding="utf-8").splitlines()
    english = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "bbc").rglob("*.txt"))][:40]
    russian = [" ".join(src[k:k + 3]) for k in range(0, 3 * len(english), 3)]
    assert len(english) >= 20
    assert language.langdetect_share(english) == 0.0 and language.langdetect_share(russian) == 1.0
    assert language.langdetect_share(english + russian) == 0.5
    assert 0.3 <= language.langdetect_share(english + russian, sample=10) <= 0.7
    asked = []
    real = kernels.language

    @contextlib.contextmanager
    def spy(on=True):
        asked.append(on)
        with real(on) as got:
            yield got

    monkeypatch.setattr(kernels, "language", spy)
    docs = [Document(id=f"d{k}", text=t, source="x") for k, t in enumerate(english + russian)]
    results = []
    for cost in (float("inf"), 0.0):
        monkeypatch.setattr(D, "LANGDETECT_KERNEL_MIN_SAVING", cost)
        results.append(([f.to_dict() for f in run_detectors(docs, ALL, ScanConfig())], [d.lang for d in docs]))
    assert asked == [False, True]
    assert results[0] == results[1] and results[0][1].count("ru") == len(russian)


def test_documents_for_langdetect_share_out_a_small_corpus(monkeypatch):
    """A corpus below PARALLEL_MIN_CHARS goes to the worker processes all the same when langdetect
    decides the language of PARALLEL_MIN_LANGDETECT of its documents (estimated); the same
    findings and languages as in one process."""
    import dedup.detectors as D

    from .conftest import FIXTURES

    src = (FIXTURES / "mlqe" / "train-300.src").read_text(encoding="utf-8").splitlines()
    english = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "bbc").rglob("*.txt"))][:30]
    russian = [" ".join(src[k:k + 3]) for k in range(0, 90, 3)]
    docs = [Document(id=f"d{k}", text=t, source="x") for k, t in enumerate(english + russian)]
    jobs = []
    real = D.fork_map
    monkeypatch.setattr(D, "fork_map", lambda fn, tasks, n: jobs.append(n) or real(fn, tasks, n))
    monkeypatch.setattr(D, "PARALLEL_MIN_CHARS", 10**9)
    results = []
    for least in (31, 29):  # 30 documents need langdetect
        monkeypatch.setattr(D, "PARALLEL_MIN_LANGDETECT", least)
        results.append(([f.to_dict() for f in run_detectors(docs, ALL, ScanConfig(jobs=2))], [d.lang for d in docs]))
    assert jobs == [1, 2]
    assert results[0] == results[1] and results[0][1].count("ru") == len(russian)


def test_split_phrase_counts_name_pairs_once_with_the_same_hits():
    """split_phrase counts every two capitalised words of a text once instead of reading the whole
    text again for each 'Name. Name' candidate: the same hits as checking each candidate with
    str.count and re.findall, on texts full of sentence boundaries, split and joined names,
    repeated words ('Bora Bora Bora'), tabs and names glued to other words."""
    import random
    import re

    from dedup.detectors import artifacts as A

    def reference(text):
        hits = [h for h in A.split_phrase(text) if "name" not in h.message]
        for m in A._after_word_boundary(A._NAME_SPLIT, text):
            a, b = m.group("a"), m.group("b")
            if a.lower() in A.ABBREVIATIONS or text.count(f"{a} {b}") < 2:
                continue
            joined = len(re.findall(r"\b" + a + r"[ \t]+" + b + r"\b", text))
            if joined >= 2:
                hits.append(A.Hit(m.start("dot"), m.end("dot"),
                                  f"period splits the name {a + ' ' + b!r} (written whole {joined}×)",
                                  score=min(1.0, joined / 4)))
        return sorted(hits, key=lambda h: h.start)

    rng = random.Random(3)
    names = ["North", "Korea", "New", "York", "Bora", "Mr", "The"]
    seps = [" ", " ", " ", ". ", ".\t", " \t", ", ", "x", "-", ". "]
    checked = 0
    for _ in range(300):
        text = "".join(rng.choice(names) + rng.choice(seps) for _ in range(rng.randint(5, 60)))
        got = A.split_phrase(text)
        assert [(h.start, h.end, h.message, h.score) for h in got] == \
            [(h.start, h.end, h.message, h.score) for h in reference(text)]
        checked += any("name" in h.message for h in got)
    assert checked > 20  # many texts where a split name is found


def test_language_switch_candidates_are_running_text_not_paths_or_headers():
    """LANG401 asks langdetect only about running text: a path, a query string or a package
    header line in an English document (words joined by '/', '-', '=' ...) is no candidate, in
    the bulk path and sentence by sentence, while a French sentence still is and is reported."""
    from dedup.detectors import language
    from dedup.detectors.words import WordTable

    english = "The package is documented online and the maintainers answer questions on the tracker. "
    junk = ["docs.aws.amazon.com/sdkref/latest/guide/version-support-matrix/client/pages/index.\n",
            "utm_source=pypi-colorama&utm_medium=referral&utm_campaign=readme&utm_term=latest\n",
            "Requires-Dist: rfc3339-validator; extra == 'format-nongpl'; sys_platform == 'win32'\n"]
    french = "Les utilisateurs peuvent consulter la documentation complète sur le site officiel du projet.\n"
    for line in junk:
        assert not language._candidate(line.strip(), "en", "Latin"), line
        # the same line would be a candidate with spaces between its words
        spaced = " ".join(language._WORDS.findall(line))
        assert language._candidate(spaced, "en", "Latin"), spaced
    assert language._candidate(french.strip(), "en", "Latin")
    text = english * 3 + "".join(junk) + french + english
    words = WordTable.build([text])
    bulk = language._latin_en_sentences(words, [True])
    assert [text[s:e].strip() for s, e in bulk[0]] == [french.strip()]
    hits = language.language_switches(text, "en")
    assert [(text[h.start:h.end].strip(), h.message[:14]) for h in hits] == [(french.strip(), "passage in fr ")]
    # running text with few blank gaps but no symbol of code (elisions, numbers, « quotes ») stays
    # a candidate; a shell line (digits glued to words) does not
    for sentence, lang in [("L'ho vista all'università dell'Aquila: c'è un'aula nell'edificio dell'ateneo, "
                            "sull'altra riva.", "it"),
                           ("Le 3 mai 2021, à 14 h 30, le préfet a reçu 12 élus, 4 maires et 25 représentants "
                            "syndicaux.", "fr"),
                           ("Il a écrit « l'amour », « l'amitié », « l'espoir » et « la paix » sur le mur de "
                            "l'école.", "fr")]:
        text = english + sentence + " " + english
        assert [h.message[:14] for h in language.language_switches(text, "en")] == [f"passage in {lang} "]
    assert not language._candidate("apt install libnspr4 libnspr4-dev libnss3 libnss3-dev libnss3-tools",
                                   "en", "Latin")
