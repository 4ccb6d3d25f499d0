"""``dedup.clean`` as a library: edits, merging, whitespace, duplicates, passages, markers.

Synthetic findings exercise every path whatever the detectors report; properties check that the
manifest rebuilds every output and that nothing outside a finding is lost.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.clean import (
    CleanOptions,
    Edit,
    apply_edits,
    clean,
    dropped_documents,
    rebuild,
    summarize,
    tidy_whitespace,
)
from dedup.errors import DedupError, UsageError
from dedup.model import Cluster, Document, Finding, Related, Report


def doc(id: str, text: str) -> Document:
    return Document(id, text, f"in/{id}", "txt", f"in/{id}", None, "in")


def finding(d: Document, start: int, end: int, kind: str = "boilerplate", rule: str = "BP201",
            fix: str | None = None, related: Related | None = None) -> Finding:
    return Finding(rule, kind, "warning", d.id, start, end, d.text[start:end], "test", 1.0, related,
                   None, fix)


def span(d: Document, needle: str, nth: int = 0) -> tuple[int, int]:
    i = -1
    for _ in range(nth + 1):
        i = d.text.index(needle, i + 1)
    return i, i + len(needle)


def run(docs: list[Document], findings: list[Finding], clusters: list[Cluster] | None = None,
        **opts) -> dict[str, object]:
    rep = Report({}, docs, clusters or [], findings)
    res = clean(rep, CleanOptions(**opts))
    for r in res:  # the manifest always rebuilds the output
        assert rebuild(r.doc.text, r.manifest_record("x" if r.text is not None else None)) == r.text
    return {r.doc.id: r for r in res}


# ------------------------------------------------------------------------------------ spans


def test_boilerplate_removed_and_whitespace_tidied():
    d = doc("a.txt", "SiteName\n\nGet Informed\n\nFirst para.\n\nSecond para.\n\n#tag #tags\n")
    fs = [finding(d, *span(d, "SiteName")), finding(d, *span(d, "Get Informed")),
          finding(d, *span(d, "#tag #tags"))]
    r = run([d], fs)["a.txt"]
    assert r.text == "First para.\n\nSecond para.\n"
    assert r.action == "modified"
    kinds = {e.kind for e in r.edits}
    assert kinds == {"boilerplate", "whitespace"}
    assert summarize([r])["chars_out"] == len(r.text)


def test_certain_repair_replaces_and_uncertain_span_is_removed():
    d = doc("b.txt", "He said it. . Then he left. he did North Korea plans more.")
    fs = [finding(d, *span(d, ". ."), "artifact", "MT301", fix="."),
          finding(d, *span(d, "he did"), "artifact", "MT302")]
    r = run([d], fs)["b.txt"]
    assert r.text == "He said it. Then he left. North Korea plans more."
    rep = [e for e in r.edits if e.replacement is not None]
    assert [(e.rule, e.replacement) for e in rep] == [("MT301", ".")]


def test_insertion_restores_a_sentence_break():
    d = doc("c.txt", "the North Korea is discussed This project began")
    i = d.text.index(" This")
    r = run([d], [finding(d, i, i, "artifact", "MT303", fix=".")])["c.txt"]
    assert r.text == "the North Korea is discussed. This project began"


def test_space_before_closing_punctuation_dropped():
    d = doc("d.txt", "cooperate in areas that should not be announced or u publish.” In addition")
    r = run([d], [finding(d, *span(d, "or u publish"), "artifact", "MT302")])["d.txt"]
    assert r.text == "cooperate in areas that should not be announced.” In addition"


def test_removal_at_end_keeps_the_documents_own_ending():
    with_nl = doc("e.txt", "Body text.\n\nReporter Jang\n")
    without = doc("f.txt", "Body text.\n\nReporter Jang")
    res = run([with_nl, without], [finding(with_nl, *span(with_nl, "Reporter Jang")),
                                   finding(without, *span(without, "Reporter Jang"))])
    assert res["e.txt"].text == "Body text.\n"
    assert res["f.txt"].text == "Body text."


def test_untouched_whitespace_is_never_reformatted():
    d = doc("g.txt", "A  line   with\t\tspaces.\n\n\n\nNext.   SPAM   end\n")
    r = run([d], [finding(d, *span(d, "SPAM"))])["g.txt"]
    assert r.text == "A  line   with\t\tspaces.\n\n\n\nNext.   end\n"


def test_overlapping_spans_merge_deterministically():
    d = doc("h.txt", "0123456789abcdefghij")
    fs = [finding(d, 0, 5, rule="BP1"), finding(d, 3, 9, "artifact", "MT1"),
          finding(d, 8, 10, "artifact", "MT2", fix="X"), finding(d, 12, 14, "artifact", "MT3", fix="Y"),
          finding(d, 13, 15, "artifact", "MT4", fix="Z")]
    a = run([d], fs)["h.txt"]
    b = run([d], list(reversed(fs)))["h.txt"]
    assert a.edits == b.edits
    assert [(e.start, e.end, e.rule, e.replacement) for e in a.edits] == [
        (0, 5, "BP1", None), (5, 9, "MT1", None), (9, 10, "MT2", None), (12, 14, "MT3", "Y")]
    assert a.text == "abYefghij"


def test_language_findings_are_reported_not_removed_by_default():
    d = doc("i.txt", "He quoted: « Je ne regrette rien » and left.")
    f = finding(d, *span(d, "« Je ne regrette rien »"), "language", "LANG401")
    assert run([d], [f])["i.txt"].action == "kept"
    opts = frozenset({"duplicate-passage", "boilerplate", "artifact", "language"})
    assert run([d], [f], span_kinds=opts)["i.txt"].text == "He quoted: and left."


def test_kept_document_is_unchanged_and_fix_equal_to_text_is_no_edit():
    d = doc("j.txt", "Nothing. to do")
    r = run([d], [finding(d, *span(d, "."), "artifact", "MT301", fix=".")])["j.txt"]
    assert (r.action, r.edits, r.text) == ("kept", [], d.text)


def test_finding_not_matching_its_document_is_an_error():
    d = doc("k.txt", "abc")
    bad = Finding("BP1", "boilerplate", "warning", "k.txt", 0, 2, "zz", "m")
    with pytest.raises(DedupError, match="does not match"):
        clean(Report({}, [d], [], [bad]))


def test_mark_keeps_everything_and_wraps_spans():
    d = doc("l.txt", "Site\n\nText. . more he did end.")
    fs = [finding(d, *span(d, "Site")), finding(d, *span(d, ". ."), "artifact", "MT301", fix="."),
          finding(d, *span(d, "he did"), "artifact", "MT302")]
    r = run([d], fs, mark=True)["l.txt"]
    assert r.text == "[-BP201: Site-]\n\nText[-MT301: . .-]{+.+} more [-MT302: he did-] end."
    assert all(e.replacement is not None for e in r.edits)


# ------------------------------------------------------------------------------- documents


def dup(d: Document, canon: Document, rule: str = "DUP102") -> Finding:
    return finding(d, 0, len(d.text), "duplicate-document", rule,
                   related=Related(canon.id, 0, len(canon.text)))


def cluster(kind: str, canon: Document, *others: Document) -> Cluster:
    return Cluster(f"C{kind}{canon.id}", kind, canon.id, sorted([canon.id, *(o.id for o in others)]), 0.9)


def test_non_canonical_members_dropped_per_keep_policy():
    a, b, c, v = doc("a", "x y z"), doc("b", "x y z w"), doc("c", "x y z"), doc("v", "translated")
    fs = [dup(b, a), dup(c, a, "DUP101"), dup(v, a, "DUP103")]
    cl = [cluster("exact", a, c), cluster("near-duplicate", a, b), cluster("variant", a, v)]
    res = run([a, b, c, v], fs, cl)
    assert {k: r.action for k, r in res.items()} == {"a": "kept", "b": "dropped", "c": "dropped",
                                                       "v": "dropped"}
    assert res["b"].duplicate_of == "a" and res["b"].text is None and res["b"].chars_out == 0
    assert [e.to_dict() for e in res["c"].edits] == [
        {"start": 0, "end": 5, "kind": "duplicate-document", "rule": "DUP101"}]
    variants = run([a, b, c, v], fs, cl, keep="variants")
    assert variants["v"].action == "kept" and variants["b"].action == "dropped"
    assert all(r.action == "kept" for r in run([a, b, c, v], fs, cl, keep="all").values())
    with pytest.raises(UsageError):
        CleanOptions(keep="nothing")


def test_duplicate_chains_and_cycles_resolve_to_a_kept_document():
    a, b, c = doc("a", "1"), doc("b", "2"), doc("c", "3")
    chain = Report({}, [a, b, c], [], [dup(a, b), dup(b, c)])
    assert dropped_documents(chain, "canonical") == {"a": ("c", "DUP102"), "b": ("c", "DUP102")}
    cycle = Report({}, [a, b, c], [], [dup(a, b), dup(b, c), dup(c, a)])
    out = dropped_documents(cycle, "canonical")
    assert "a" not in out and {t for t, _ in out.values()} == {"a"}


def test_dropped_mark_mode_writes_the_whole_document_in_a_marker():
    a, b = doc("a", "same"), doc("b", "same")
    r = run([a, b], [dup(b, a, "DUP101")], mark=True)["b"]
    assert (r.action, r.duplicate_of, r.text) == ("dropped", "a", "[-DUP101: same-]")


# -------------------------------------------------------------------------------- passages


def passage(d: Document, s: int, e: int, other: Document, os_: int, oe: int, rule: str = "DUP112"):
    return finding(d, s, e, "duplicate-passage", rule, related=Related(other.id, os_, oe))


def test_same_content_never_disappears_twice():
    a = doc("a", "Intro.\n\nShared paragraph here.\n\nMiddle.\n\nShared paragraph here.\n")
    s1, s2 = span(a, "Shared paragraph here."), span(a, "Shared paragraph here.", 1)
    # both copies flagged against each other: only the later-sorted one may go
    r = run([a], [passage(a, *s1, a, *s2, "DUP111"), passage(a, *s2, a, *s1, "DUP111")])["a"]
    assert r.text.count("Shared paragraph here.") == 1
    assert r.text == "Intro.\n\nMiddle.\n\nShared paragraph here.\n"


def test_passage_kept_when_its_counterpart_is_gone():
    a, b = doc("a", "Own text. Copied sentence here."), doc("b", "Other words. Copied sentence here.")
    c = doc("c", "Something else entirely.")
    fa = passage(a, *span(a, "Copied sentence here."), b, *span(b, "Copied sentence here."))
    # b is dropped as a duplicate of c, which lacks the passage: a keeps it
    res = run([a, b, c], [fa, dup(b, c)])
    assert res["a"].action == "kept" and res["b"].action == "dropped"
    # b is dropped for a document that has the same text: a's copy may go
    c2 = doc("c", "Other words! Copied sentence here.")
    res = run([a, b, c2], [fa, dup(b, c2)])
    assert res["a"].text == "Own text."


def test_passage_related_to_itself_after_drop_is_kept():
    a = doc("a", "Alpha beta gamma. Delta epsilon.")
    b = doc("b", "Alpha beta gamma. Delta epsilon!")
    # a's passage relates to dropped b, whose only other copy is a's own span
    fa = passage(a, *span(a, "Alpha beta gamma."), b, *span(b, "Alpha beta gamma."))
    assert run([a, b], [fa, dup(b, a)])["a"].action == "kept"


# ------------------------------------------------------------------------------ properties

ALPHABET = st.sampled_from(list("ab .\n") + [" ", "\n\n", "x"])
KINDS = ["boilerplate", "artifact", "duplicate-passage", "language"]


@st.composite
def doc_and_findings(draw):
    text = "".join(draw(st.lists(ALPHABET, max_size=60)))
    d = doc("p", text)
    fs = []
    for _ in range(draw(st.integers(0, 6))):
        s = draw(st.integers(0, len(text)))
        e = draw(st.integers(s, len(text)))
        kind = draw(st.sampled_from(KINDS))
        fix = draw(st.sampled_from([None, None, ".", "", " y "])) if kind == "artifact" else None
        fs.append(finding(d, s, e, kind, f"R{len(fs)}", fix))
    return d, fs


@settings(max_examples=300, deadline=None)
@given(doc_and_findings(), st.booleans())
def test_property_manifest_rebuilds_and_nothing_outside_findings_is_lost(case, mark):
    d, fs = case
    r = run([d], fs, mark=mark)["p"]  # run() asserts rebuild(input, manifest) == output
    edits = r.edits
    assert all(0 <= e.start <= e.end <= len(d.text) for e in edits)
    assert all(x.end <= y.start for x, y in zip(edits, edits[1:], strict=False))
    acted = [f for f in fs if f.kind != "language"]
    covered = {i for f in acted for i in range(f.start, f.end)}
    for e in edits:
        if e.kind == "whitespace":
            assert d.text[e.start:e.end].isspace()
        else:
            assert set(range(e.start, e.end)) <= covered
    if mark:  # every input character is still there, in order
        it = iter(r.text)
        assert all(ch in it for ch in d.text)
    # cleaning the output again (no findings left) changes nothing
    again = run([doc("p", r.text)], [])["p"]
    assert again.action == "kept"


def test_tidy_is_recorded_as_whitespace_deletions_only():
    t = "A.\n\nB.\n\nC.\n"
    e = [Edit(4, 6, "boilerplate", "BP")]
    ws = tidy_whitespace(t, e)
    assert ws and all(w.kind == "whitespace" and t[w.start:w.end].isspace() for w in ws)
    assert apply_edits(t, e + ws) == "A.\n\nC.\n"


def test_info_findings_are_advisory():
    d = doc("m.txt", "Para one.\n\nA very long run-on paragraph.\n")
    f = finding(d, *span(d, "A very long run-on paragraph."), "artifact", "MT310")
    f.severity = "info"
    assert run([d], [f])["m.txt"].action == "kept"
    assert run([d], [f], min_severity="info")["m.txt"].text == "Para one.\n"


# ---------------------------------------------------------------------------- several passes

FRACTIONS = st.tuples(st.floats(0, 1), st.floats(0, 1), st.sampled_from([None, "", ".", "Q"]))


@settings(max_examples=200, deadline=None)
@given(doc_and_findings(), st.lists(st.lists(FRACTIONS, max_size=4), max_size=3))
def test_property_passes_compose_into_one_manifest(case, later):
    """Whatever later passes find on the cleaned text (including spans inside earlier repairs),
    the manifest still rebuilds the final output from the input in one step."""
    d, fs = case
    passes = iter(later)
    seen: list[str] = []

    def rescan(docs: list[Document]) -> Report:
        (cur,) = docs
        seen.append(cur.text)
        spans = next(passes, [])
        found = []
        for k, (x, y, fix) in enumerate(spans):
            s, e = sorted((int(x * len(cur.text)), int(y * len(cur.text))))
            found.append(finding(cur, s, e, "artifact", f"P{len(seen)}{k}", fix))
        return Report({}, docs, [], found)

    r = clean(Report({}, [d], [], fs), CleanOptions(rounds=4), rescan=rescan)[0]
    assert rebuild(d.text, r.manifest_record("x")) == r.text
    assert all(x.end <= y.start for x, y in zip(r.edits, r.edits[1:], strict=False))
    assert (r.action == "kept") == (r.text == d.text)


def test_whitespace_tidy_is_cut_at_an_insertion():
    """Removals around an insertion inside a whitespace run (found by the property test above): the
    tidied whitespace is two edits on either side of the insertion point, not one across it."""
    from dedup.clean import Edit, apply_edits, tidy_whitespace

    text = "aaaaaa   a"
    edits = [Edit(0, 6, "boilerplate", "R0"), Edit(8, 8, "artifact", "R3", "."), Edit(9, 10, "boilerplate", "R1")]
    tidy = tidy_whitespace(text, edits)
    assert [(e.start, e.end) for e in tidy] == [(6, 8), (8, 9)]
    assert apply_edits(text, edits + tidy) == "."


def test_later_pass_removes_what_the_first_left():
    d = doc("n.txt", "Keep this. Shared idea here. Middle part. shared idea here! End.")
    first = finding(d, *span(d, "Middle part. "), "boilerplate", "BP1")

    def rescan(docs):
        (cur,) = docs
        if "shared idea here!" not in cur.text:  # the third pass finds nothing more
            return Report({}, docs, [], [])
        s, e = span(cur, "shared idea here!")
        rel = Related(cur.id, *span(cur, "Shared idea here."))
        return Report({}, docs, [], [finding(cur, s, e, "duplicate-passage", "DUP112", related=rel)])

    r = clean(Report({}, [d], [], [first]), CleanOptions(), rescan=rescan)[0]
    assert r.text == "Keep this. Shared idea here. End."
    assert {e.rule for e in r.edits} == {"BP1", "DUP112", "tidy"}
    assert clean(Report({}, [d], [], [first]), CleanOptions(rounds=1), rescan=rescan)[0].text == (
        "Keep this. Shared idea here. shared idea here! End.")


def test_partial_variant_keeps_its_own_sentences():
    a, v = doc("a", "Shared one. Shared two."), doc("v", "Shared one. Shared two. Only here.")
    weak = Finding("DUP103", "duplicate-passage", "warning", "v", 0, len(v.text), v.text, "variant", 0.6,
                   Related("a", 0, len(a.text)), None, None)
    strong = Finding("DUP103", "duplicate-passage", "warning", "v", 0, len(v.text), v.text, "variant",
                     0.9, Related("a", 0, len(a.text)), None, None)
    cl = [cluster("variant", a, v)]
    assert run([a, v], [weak], cl)["v"].action == "kept"
    assert run([a, v], [strong], cl)["v"].action == "dropped"
