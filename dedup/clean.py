"""Report → canonical corpus + manifest (``dedup clean``).

:func:`clean` is pure: it turns a :class:`~dedup.model.Report` (whose ``documents`` hold the texts
as read) into one :class:`CleanedDocument` per input document, each with the exact list of
:class:`Edit` s that turns its input text into its output text. :func:`rebuild` applies a manifest
record to an input text, so every output can be rebuilt from input + manifest. The second half of
the module writes a cleaned corpus in the layout of its input (:func:`write_corpus`).

What is changed, in order:

1. **Duplicate documents.** A non-canonical member of a cluster (``duplicate-document`` finding,
   ``related`` = the canonical member) is dropped when its cluster kind is dropped by the
   ``keep`` policy: ``canonical`` (default: exact, near-duplicate and variant clusters keep only
   their canonical member), ``variants`` (variant members stay), ``all`` (no document is dropped).
   ``duplicate_of`` names the kept document it was dropped for (chains are followed).
2. **Spans** of findings whose kind is acted on (default ``duplicate-passage``, ``boilerplate``,
   ``artifact``; ``language`` only when asked, a language switch may be a legitimate quote) and
   whose severity is ``warning`` or ``error`` (``info`` findings are advisory, e.g. a whole run-on
   paragraph) are replaced by ``Finding.fix`` (a certain repair) or removed (``fix is None``).
   A ``duplicate-passage`` span is removed only while the passage it repeats survives: its
   ``related`` span is not itself removed as a duplicate passage, or, when the related document
   is dropped, the same text occurs in the document it was dropped for. So the same content
   never disappears twice.
3. **Overlaps** merge deterministically: removals are united (each removed character is
   attributed to the earliest-starting finding covering it); a repair overlapping a removal is
   absorbed into it; of two overlapping repairs the earlier one (start, end, rule) wins.
4. **Whitespace** left behind by removals is tidied, and recorded as ``whitespace`` edits: a
   whitespace run that a removal cut through keeps only one of its pieces (the one with the most
   line breaks, else the first non-empty one), is deleted at the start of the document and in front
   of closing punctuation, and keeps only its original last piece at the end of the document.
   Text that no finding touched is never reformatted, so a cleaned corpus cleans to itself.

With ``mark=True`` nothing is removed: each edit becomes a visible marker
``[-RULE: old text-]`` followed by ``{+new text+}`` for a repair, and dropped documents are
written whole inside one marker, for review.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import DedupError, InputError, UsageError
from .io.readers import (
    ReadOptions,
    _suffix,
    discover,
    is_clean_manifest,
    iter_jsonl_lines,
    read_source,
)
from .io.writers import json_text
from .model import SEVERITIES, Document, Finding, Report
from .rules import DOCUMENT_RULES

#: ``--keep`` policies: the cluster kinds whose non-canonical members are dropped.
KEEP_POLICIES: dict[str, frozenset[str]] = {
    "canonical": frozenset({"exact", "near-duplicate", "variant"}),
    "variants": frozenset({"exact", "near-duplicate"}),
    "all": frozenset(),
}
#: Finding kinds whose spans are removed or repaired by default.
DEFAULT_SPAN_KINDS = frozenset({"duplicate-passage", "boilerplate", "artifact"})
#: Cluster kind of a duplicate-document finding when no cluster says (by rule code).
#: A variant (translation or rewrite) is dropped whole only when at least this share of its
#: sentences align with the canonical member; below it the document keeps its own sentences and
#: loses only the passages that repeat the canonical one, so nothing unique is lost.
VARIANT_DROP_SHARE = 0.8

RULE_CLUSTER_KIND = {"DUP101": "exact", "DUP102": "near-duplicate", "DUP103": "variant"}
_CLUSTER_ORDER = {"exact": 0, "near-duplicate": 1, "variant": 2}
#: Kind and rule recorded for whitespace tidied after removals.
WHITESPACE_KIND, WHITESPACE_RULE = "whitespace", "tidy"
#: Characters in front of which whitespace left by a removal is dropped.
CLOSING_PUNCT = frozenset(".,;:!?)]}”’\"'»")
MANIFEST_NAME = "manifest.jsonl"


@dataclass(frozen=True, slots=True)
class CleanOptions:
    """What ``clean`` changes.

    ``keep``: a :data:`KEEP_POLICIES` name. ``span_kinds``: finding kinds whose spans are removed
    or repaired. ``mark``: wrap edits in visible markers instead of applying them. ``tidy``: tidy
    the whitespace that removals leave behind.
    """

    keep: str = "canonical"
    span_kinds: frozenset[str] = DEFAULT_SPAN_KINDS
    #: Findings below this severity are advisory (e.g. a whole run-on paragraph): reported only.
    min_severity: str = "warning"
    mark: bool = False
    tidy: bool = True
    #: Passes at most (scan the cleaned texts, clean again) when a rescan function is given.
    rounds: int = 3

    def __post_init__(self) -> None:
        if self.keep not in KEEP_POLICIES:
            raise UsageError(f"--keep must be one of {', '.join(KEEP_POLICIES)}, got {self.keep!r}")
        if self.rounds < 1:
            raise UsageError(f"--rounds must be at least 1, got {self.rounds}")
        if self.min_severity not in SEVERITIES:
            raise UsageError(f"severity must be one of {', '.join(SEVERITIES)}, got {self.min_severity!r}")

    def acts_on(self, f: Finding) -> bool:
        """Whether ``f``'s span is removed or repaired."""
        return (f.kind in self.span_kinds and f.rule not in DOCUMENT_RULES
                and SEVERITIES.index(f.severity) >= SEVERITIES.index(self.min_severity))


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` of an input text by ``replacement`` (``None``: delete it).

    A zero-width edit (``start == end``) inserts its replacement.
    """

    start: int
    end: int
    kind: str
    rule: str
    replacement: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": self.start, "end": self.end, "kind": self.kind, "rule": self.rule}
        if self.replacement is not None:
            d["replacement"] = self.replacement
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Edit:
        return cls(int(d["start"]), int(d["end"]), str(d["kind"]), str(d["rule"]), d.get("replacement"))


@dataclass(slots=True)
class CleanedDocument:
    """The outcome for one input document. ``text`` is ``None`` when nothing is written."""

    doc: Document
    action: str  # kept | modified | dropped
    duplicate_of: str | None
    edits: list[Edit]
    text: str | None

    @property
    def chars_out(self) -> int:
        return len(self.text) if self.text is not None else 0

    def manifest_record(self, output: str | None) -> dict[str, Any]:
        """One manifest line; ``output`` says where the text went (path relative to OUTDIR, ``-``)."""
        return {
            "id": self.doc.id,
            "action": self.action,
            "duplicate_of": self.duplicate_of,
            "removed": [e.to_dict() for e in self.edits],
            "chars_in": len(self.doc.text),
            "chars_out": self.chars_out,
            "source": self.doc.source,
            "output": output,
        }


# --------------------------------------------------------------------------------------------
# applying edits


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (offsets into ``text``) and return the new text.

    >>> apply_edits("a . . b he did c", [Edit(2, 5, "artifact", "MT301", "."),
    ...                                  Edit(8, 15, "artifact", "MT302")])
    'a . b c'
    >>> apply_edits("ab", [Edit(1, 1, "artifact", "MT303", ".")])
    'a.b'
    """
    out: list[str] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos or e.end < e.start or e.end > len(text):
            raise ValueError(f"edit {e.start}-{e.end} overlaps another edit or leaves the text "
                             f"(length {len(text)})")
        out.append(text[pos:e.start])
        if e.replacement:
            out.append(e.replacement)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def rebuild(text: str, record: Mapping[str, Any]) -> str | None:
    """The output text described by manifest ``record`` for input ``text`` (``None``: no output).

    >>> rebuild("Hello spam world", {"output": "a.txt", "removed": [
    ...     {"start": 6, "end": 10, "kind": "boilerplate", "rule": "BP201"},
    ...     {"start": 5, "end": 6, "kind": "whitespace", "rule": "tidy"}]})
    'Hello world'
    """
    if record.get("output") is None:
        return None
    if len(text) != record.get("chars_in", len(text)):
        raise ValueError(f"input of {record.get('id')!r} has {len(text)} characters, the manifest "
                         f"says {record['chars_in']}")
    return apply_edits(text, [Edit.from_dict(d) for d in record.get("removed", [])])


# --------------------------------------------------------------------------------------------
# planning: which documents go, which spans change


def _cluster_kinds(report: Report) -> dict[tuple[str, str], str]:
    """(member, canonical) → cluster kind, for every non-canonical member of every cluster."""
    out: dict[tuple[str, str], str] = {}
    for c in sorted(report.clusters, key=lambda c: (_CLUSTER_ORDER.get(c.kind, 9), c.id)):
        for m in c.members:
            if m != c.canonical:
                out.setdefault((m, c.canonical), c.kind)
    return out


def dropped_documents(report: Report, keep: str) -> dict[str, tuple[str, str]]:
    """Documents to drop: id → (kept document it duplicates, rule of the finding that says so).

    Chains (A duplicates B, B duplicates C) resolve to the document that stays; in a cycle the
    smallest id stays.
    """
    kinds = _cluster_kinds(report)
    drop_kinds = KEEP_POLICIES[keep]
    choice: dict[str, tuple[int, str, str]] = {}
    for f in report.findings:
        if f.rule not in DOCUMENT_RULES or f.related is None or f.related.doc == f.doc:
            continue
        ck = kinds.get((f.doc, f.related.doc)) or RULE_CLUSTER_KIND.get(f.rule, "variant")
        if ck not in drop_kinds:
            continue
        if ck == "variant" and f.score < VARIANT_DROP_SHARE:
            continue  # keeps sentences of its own: only its aligned passages go (DUP112)
        cand = (_CLUSTER_ORDER.get(ck, 9), f.related.doc, f.rule)
        if f.doc not in choice or cand < choice[f.doc]:
            choice[f.doc] = cand
    target = {d: c[1] for d, c in choice.items()}
    for d in sorted(target):  # break cycles: the smallest id of a cycle stays
        path: list[str] = []
        t = d
        while t in target and t not in path:
            path.append(t)
            t = target[t]
        if t in path:
            del target[min(path[path.index(t):])]
    out: dict[str, tuple[str, str]] = {}
    for d in sorted(target):
        t = target[d]
        while t in target:
            t = target[t]
        out[d] = (t, choice[d][2])
    return out


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    if a0 == a1:  # an insertion point overlaps a span only strictly inside it
        return b0 < a0 < b1
    if b0 == b1:
        return a0 < b0 < a1
    return a0 < b1 and b0 < a1


@dataclass(slots=True)
class _Plan:
    """Accepted span edits per document while the findings are walked."""

    removed_passages: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def passage_removed(self, doc: str, start: int, end: int) -> bool:
        return any(_overlaps(start, end, s, e) for s, e in self.removed_passages.get(doc, ()))


def _related_survives(f: Finding, texts: Mapping[str, str], dropped: Mapping[str, tuple[str, str]],
                      plan: _Plan) -> bool:
    """Whether the passage ``f`` repeats stays in the output once ``f``'s span is removed."""
    rel = f.related
    if rel is None:  # the detector gives no counterpart: trust it
        return True
    if rel.doc not in texts or rel.end <= rel.start:
        return False
    if rel.doc not in dropped:
        same = rel.doc == f.doc and _overlaps(rel.start, rel.end, f.start, f.end)
        return not same and not plan.passage_removed(rel.doc, rel.start, rel.end)
    # the related document is dropped: look for the same text where it was dropped for
    needle = texts[rel.doc][rel.start:rel.end]
    host = dropped[rel.doc][0]
    hay = texts[host]
    i = hay.find(needle)
    while i >= 0:
        j = i + len(needle)
        if not (host == f.doc and _overlaps(i, j, f.start, f.end)) and not plan.passage_removed(host, i, j):
            return True
        i = hay.find(needle, i + 1)
    return False


def _merge(raw: list[tuple[int, int, str | None, str, str]]) -> list[Edit]:
    """Merge possibly overlapping edits ``(start, end, replacement, kind, rule)`` into disjoint ones.

    >>> [(e.start, e.end, e.rule, e.replacement) for e in _merge([
    ...     (0, 5, None, "boilerplate", "BP1"), (3, 9, None, "artifact", "MT1"),
    ...     (8, 10, "x", "artifact", "MT2"), (12, 14, "y", "artifact", "MT3"),
    ...     (13, 15, "z", "artifact", "MT4"), (20, 20, ".", "artifact", "MT5")])]
    [(0, 5, 'BP1', None), (5, 9, 'MT1', None), (9, 10, 'MT2', None), (12, 14, 'MT3', 'y'), (20, 20, 'MT5', '.')]
    """
    dels = [r for r in raw if not r[2] and r[1] > r[0]]
    reps = sorted({r for r in raw if r[2]}, key=lambda r: (r[0], r[1], r[4], r[2]))
    changed = True
    while changed:  # a repair that overlaps a removal is absorbed into it (removals only grow)
        changed = False
        for r in list(reps):
            if any(_overlaps(r[0], r[1], d[0], d[1]) for d in dels):
                reps.remove(r)
                if r[1] > r[0]:
                    dels.append((r[0], r[1], None, r[3], r[4]))
                changed = True
    accepted: list[tuple[int, int, str | None, str, str]] = []
    for r in reps:
        if not any(_overlaps(r[0], r[1], a[0], a[1]) or (r[0] == r[1] == a[0] == a[1]) for a in accepted):
            accepted.append(r)
    edits = [Edit(s, e, k, rule, rep) for s, e, rep, k, rule in accepted]
    covered = -1
    for s, e, _, k, rule in sorted(dels, key=lambda d: (d[0], -d[1], d[4], d[3])):
        s = max(s, covered)
        if e > s:
            edits.append(Edit(s, e, k, rule))
            covered = e
    return sorted(edits, key=lambda e: (e.start, e.end))


def _trace(text: str, edits: Sequence[Edit]) -> tuple[str, list[int], set[int]]:
    """Apply ``edits``; return the output, the input offset of each output character (-1 for
    inserted ones) and the output positions where something was removed."""
    out: list[str] = []
    prov: list[int] = []
    cuts: set[int] = set()
    pos = 0
    for e in edits:
        out.append(text[pos:e.start])
        prov.extend(range(pos, e.start))
        if e.replacement:
            out.append(e.replacement)
            prov.extend([-1] * len(e.replacement))
        elif e.end > e.start:
            cuts.add(len(prov))
        pos = e.end
    out.append(text[pos:])
    prov.extend(range(pos, len(text)))
    return "".join(out), prov, cuts


def _breaks(s: str) -> int:
    return s.count("\n") or s.count("\r")


def tidy_whitespace(text: str, edits: Sequence[Edit]) -> list[Edit]:
    """Whitespace edits (deletions of input characters) that tidy what ``edits`` leave behind.

    >>> t = "Site\\n\\nPara one. he did\\n\\nBOILER\\n\\nPara two.\\n"
    >>> e = [Edit(0, 4, "boilerplate", "BP"), Edit(16, 22, "artifact", "MT"),
    ...      Edit(24, 30, "boilerplate", "BP")]
    >>> apply_edits(t, e + tidy_whitespace(t, e))
    'Para one.\\n\\nPara two.\\n'
    """
    out, prov, cuts = _trace(text, edits)
    n = len(out)

    def ws(i: int) -> bool:
        return prov[i] >= 0 and out[i].isspace()

    drop: list[int] = []
    done: set[int] = set()
    for j in sorted(cuts):
        if j in done:
            continue
        a, b = j, j
        while a > 0 and ws(a - 1):
            a -= 1
        while b < n and ws(b):
            b += 1
        inner = sorted(c for c in cuts if a <= c <= b)
        done.update(inner)
        if a == b:
            continue
        bounds = [a, *inner, b]
        pieces = [(p, q) for p, q in zip(bounds, bounds[1:], strict=False) if q > p]
        if a == 0:
            keep = None
        elif b == n:  # only the document's own trailing whitespace stays
            keep = (bounds[-2], n) if bounds[-2] < n else None
        elif out[b] in CLOSING_PUNCT and not any(_breaks(out[p:q]) for p, q in pieces):
            keep = None
        else:
            keep = max(pieces, key=lambda pq: (_breaks(out[pq[0]:pq[1]]), -pq[0]))
        drop.extend(i for p, q in pieces if (p, q) != keep for i in range(p, q))
    # a run of dropped characters is cut where an edit inserts text (an empty span): the two
    # edits would overlap otherwise
    inserts = {e.start for e in edits if e.start == e.end}
    result: list[Edit] = []
    for i in sorted(prov[k] for k in drop):
        last = result[-1] if result else None
        if last is not None and last.end == i and i not in inserts:
            result[-1] = Edit(last.start, i + 1, WHITESPACE_KIND, WHITESPACE_RULE)
        else:
            result.append(Edit(i, i + 1, WHITESPACE_KIND, WHITESPACE_RULE))
    return result


def marker(text: str, rule: str, replacement: str | None) -> str:
    """The visible marker ``--mark`` writes for one edit.

    >>> marker(". .", "MT301", ".")
    '[-MT301: . .-]{+.+}'
    """
    return f"[-{rule}: {text}-]" + (f"{{+{replacement}+}}" if replacement else "")


def _as_markers(text: str, edits: Sequence[Edit]) -> list[Edit]:
    return [Edit(e.start, e.end, e.kind, e.rule, marker(text[e.start:e.end], e.rule, e.replacement))
            for e in edits]


def _check(f: Finding, texts: Mapping[str, str]) -> None:
    t = texts.get(f.doc)
    if t is None or not 0 <= f.start <= f.end <= len(t) or t[f.start:f.end] != f.text:
        raise DedupError(f"internal error: finding {f.rule} on {f.doc} {f.start}-{f.end} does not "
                         "match the document text")


def plan_round(report: Report, options: CleanOptions
               ) -> tuple[dict[str, tuple[str, str]], dict[str, list[Edit]]]:
    """One pass over ``report``: documents to drop (id → (kept id, rule)) and the disjoint,
    sorted edits (whitespace tidy included) of every other document that changes."""
    texts = {d.id: d.text for d in report.documents}
    dropped = dropped_documents(report, options.keep)
    plan = _Plan()
    raw: dict[str, list[tuple[int, int, str | None, str, str]]] = {}
    for f in sorted(report.findings, key=Finding.sort_key):
        if not options.acts_on(f) or f.doc in dropped:
            continue
        _check(f, texts)
        if f.fix is not None and f.fix == f.text:
            continue
        if f.kind == "duplicate-passage":
            if not _related_survives(f, texts, dropped, plan):
                continue
            plan.removed_passages.setdefault(f.doc, []).append((f.start, f.end))
        raw.setdefault(f.doc, []).append((f.start, f.end, f.fix, f.kind, f.rule))
    edits: dict[str, list[Edit]] = {}
    for doc_id in sorted(raw):
        es = _merge(raw[doc_id])
        if options.mark:
            es = _as_markers(texts[doc_id], es)
        elif options.tidy and es:
            es = sorted([*es, *tidy_whitespace(texts[doc_id], es)], key=lambda e: (e.start, e.end))
        if apply_edits(texts[doc_id], es) != texts[doc_id]:
            edits[doc_id] = es
    return dropped, edits


@dataclass(slots=True)
class _Track:
    """A document's current text, each character's input offset (-1: inserted, with the
    (kind, rule) that inserted it) and who removed each input character, across passes."""

    text: str
    prov: list[int]
    ins: list[tuple[str, str] | None]
    removed_by: dict[int, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def start(cls, text: str) -> _Track:
        return cls(text, list(range(len(text))), [None] * len(text))

    def apply(self, edits: Sequence[Edit]) -> None:
        text: list[str] = []
        prov: list[int] = []
        ins: list[tuple[str, str] | None] = []
        pos = 0
        for e in edits:
            text.append(self.text[pos:e.start])
            prov.extend(self.prov[pos:e.start])
            ins.extend(self.ins[pos:e.start])
            for p in self.prov[e.start:e.end]:
                if p >= 0:
                    self.removed_by[p] = (e.kind, e.rule)
            if e.replacement:
                text.append(e.replacement)
                prov.extend([-1] * len(e.replacement))
                ins.extend([(e.kind, e.rule)] * len(e.replacement))
            pos = e.end
        text.append(self.text[pos:])
        prov.extend(self.prov[pos:])
        ins.extend(self.ins[pos:])
        self.text, self.prov, self.ins = "".join(text), prov, ins

    def edits(self, n: int) -> list[Edit]:
        """The edits of the input text (length ``n``) that give the current text in one step."""
        out: list[Edit] = []
        prev, pending = -1, []
        for c, p, a in zip(self.text, self.prov, self.ins, strict=True):
            if p < 0:
                pending.append((c, a))
                continue
            self._gap(prev + 1, p, pending, out)
            prev, pending = p, []
        self._gap(prev + 1, n, pending, out)
        return out

    def _gap(self, s: int, e: int, inserted: list, out: list[Edit]) -> None:
        runs: list[list] = []
        for i in range(s, e):
            who = self.removed_by[i]
            if runs and runs[-1][2] == who:
                runs[-1][1] = i + 1
            else:
                runs.append([i, i + 1, who])
        text = "".join(c for c, _ in inserted) or None
        host = None
        if text is not None:
            first = inserted[0][1]
            host = next((k for k, r in enumerate(runs) if r[2] == first), None)
            if host is None:
                out.append(Edit(s, s, first[0], first[1], text))
        for k, (rs, re_, (kind, rule)) in enumerate(runs):
            out.append(Edit(rs, re_, kind, rule, text if k == host else None))


def clean(report: Report, options: CleanOptions | None = None,
          rescan: Callable[[list[Document]], Report] | None = None) -> list[CleanedDocument]:
    """One :class:`CleanedDocument` per document of ``report`` (sorted by id).

    With ``rescan`` (a function scanning documents into a report, e.g. ``lambda d: scan(d, cfg)``)
    the texts a pass changed are scanned (together) and cleaned again until nothing changes, at
    most ``options.rounds`` passes, so that cleaning the output again changes nothing more; the
    manifest edits always describe input → final output in one step. Pure apart from ``rescan``.
    """
    options = options or CleanOptions()
    docs = sorted(report.documents, key=lambda d: d.id)
    tracks = {d.id: _Track.start(d.text) for d in docs}
    dropped: dict[str, tuple[str, str]] = {}
    rounds = 1 if options.mark or rescan is None else options.rounds
    current = report
    for k in range(rounds):
        drop, edits = plan_round(current, options)
        dropped.update(drop)
        for doc_id, es in edits.items():
            tracks[doc_id].apply(es)
        changed = [d for d in docs if d.id in edits and d.id not in dropped]
        if k + 1 == rounds or not changed:
            break
        # only the documents this pass changed are scanned again (with each other): what they
        # share with unchanged documents was already found on their input texts
        current = rescan([replace(d, text=tracks[d.id].text) for d in changed])  # type: ignore[misc]
    results: list[CleanedDocument] = []
    for d in docs:
        if d.id in dropped:
            target, rule = dropped[d.id]
            while target in dropped:  # dropped in a later pass
                target = dropped[target][0]
            whole = [Edit(0, len(d.text), "duplicate-document", rule)]
            if options.mark:
                whole = _as_markers(d.text, whole)
                results.append(CleanedDocument(d, "dropped", target, whole, apply_edits(d.text, whole)))
            else:
                results.append(CleanedDocument(d, "dropped", target, whole, None))
            continue
        t = tracks[d.id]
        if t.text == d.text:
            results.append(CleanedDocument(d, "kept", None, [], d.text))
        else:
            results.append(CleanedDocument(d, "modified", None, t.edits(len(d.text)), t.text))
    return results


def summarize(results: Sequence[CleanedDocument]) -> dict[str, Any]:
    """Counts of a clean: documents by action, characters in and out, edits by rule."""
    actions = {"kept": 0, "modified": 0, "dropped": 0}
    rules: dict[str, int] = {}
    for r in results:
        actions[r.action] += 1
        for e in r.edits:
            rules[e.rule] = rules.get(e.rule, 0) + 1
    return {
        "documents": len(results),
        **actions,
        "chars_in": sum(len(r.doc.text) for r in results),
        "chars_out": sum(r.chars_out for r in results),
        "edits_by_rule": dict(sorted(rules.items())),
    }


# --------------------------------------------------------------------------------------------
# writing a cleaned corpus in the layout of its input


def output_path(doc: Document) -> str:
    """Where ``doc``'s cleaned text goes, relative to OUTDIR (``-``: stdout).

    >>> output_path(Document("politics/012.txt", "", "c/politics/012.txt", "txt", "c/politics/012.txt", None, "c"))
    'politics/012.txt'
    >>> output_path(Document("x", "", "d/a.jsonl:3", "jsonl", "d/a.jsonl", 3, None))
    'a.jsonl'
    """
    if doc.path is None or doc.fmt.startswith("stdin"):
        return "-"
    if doc.root is not None:
        return Path(os.path.relpath(doc.path, doc.root)).as_posix()
    return os.path.basename(doc.path)


def _inside(child: str, parent: str) -> bool:
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def check_outdir(outdir: str, inputs: Sequence[str]) -> None:
    """Refuse an OUTDIR that is, contains or lies inside an input path, or is an existing directory
    that is not empty and not a previous ``dedup clean`` output (one holding a manifest)."""
    for p in inputs:
        if p == "-":
            continue
        if _inside(p, outdir) or _inside(outdir, p):
            raise UsageError(f"output directory {outdir} {'contains' if _inside(p, outdir) else 'is inside'}"
                             f" the input {p}: choose another -o")
    if os.path.exists(outdir):
        if not os.path.isdir(outdir):
            raise UsageError(f"output {outdir} exists and is not a directory")
        if os.listdir(outdir) and not os.path.isfile(os.path.join(outdir, MANIFEST_NAME)):
            raise UsageError(f"output directory {outdir} is not empty and holds no {MANIFEST_NAME} "
                             "(not a previous dedup clean output): choose a new or empty directory")


def plan_outputs(results: Sequence[CleanedDocument]) -> dict[str, str | None]:
    """Document id → output location (``None`` when nothing is written); refuses collisions."""
    owner: dict[str, str] = {}
    out: dict[str, str | None] = {}
    for r in results:
        d = r.doc
        loc = output_path(d)
        src = d.path or "-"
        if loc == MANIFEST_NAME:
            raise UsageError(f"{src}: would be written over the manifest {MANIFEST_NAME}; rename it")
        if loc != "-" and owner.setdefault(loc, src) != src:
            raise UsageError(f"{src} and {owner[loc]} would both be written to {loc}")
        out[d.id] = loc if r.text is not None else None
    # a JSONL/Parquet file is written even when every record was dropped
    return out


def read_inputs(paths: Sequence[str], opts: ReadOptions, stdin_data: bytes = b"") -> list[Document]:
    """Read the corpus like :func:`dedup.io.read_corpus`, with stdin given as bytes (read once, to
    rewrite its records later) and skipping the manifest at the top of a previous clean output."""
    seen: dict[str, str] = {}
    docs: list[Document] = []
    sources = discover(paths)
    if sum(1 for s in sources if s.path == "-") > 1:
        raise InputError("-", "stdin given more than once")
    for sf in sources:
        if sf.root is not None and sf.doc_id == MANIFEST_NAME and is_clean_manifest(sf.path):
            continue
        for d in read_source(sf, opts, io.BytesIO(stdin_data)):  # type: ignore[arg-type]
            if d.id in seen:
                raise InputError(d.path or d.source, f"duplicate document id {d.id!r} (first seen in "
                                 f"{seen[d.id]})", d.line)
            seen[d.id] = d.source
            docs.append(d)
    return docs


def _json_line(obj: Any) -> str:
    """One JSON line, UTF-8 as is; ASCII escapes only when the text holds lone surrogates."""
    return json_text(obj) + "\n"


def jsonl_output(group: Sequence[CleanedDocument], data: bytes, path: str, text_field: str) -> str:
    """The cleaned JSONL of one input file (``data`` = its bytes): every record in input order with
    its text field replaced and every other field (and the key order) kept; dropped records left out."""
    lines = dict(iter_jsonl_lines(data, path))
    buf: list[str] = []
    for r in sorted(group, key=lambda r: r.doc.line or 0):
        if r.text is None:
            continue
        raw = lines.get(r.doc.line or -1)
        try:
            rec = json.loads(raw) if raw is not None else None
        except json.JSONDecodeError:
            rec = None
        if not isinstance(rec, dict) or rec.get(text_field) != r.doc.text:
            raise InputError(path, "changed while it was being cleaned", r.doc.line)
        rec[text_field] = r.text
        buf.append(_json_line(rec))
    return "".join(buf)


def stdout_output(results: Sequence[CleanedDocument], text_field: str = "text", stdin_data: bytes = b"") -> str:
    """What the documents read from stdin become: text, or JSONL records (``--stdin-format jsonl``)."""
    group = [r for r in results if r.doc.fmt == "stdin-jsonl"]
    if group:
        return jsonl_output(group, stdin_data, "<stdin>", text_field)
    return "".join(r.text for r in results if r.doc.fmt == "stdin" and r.text is not None)


def _read_input(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror}") from None
    if (_suffix(path) or "") == ".jsonl.gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise InputError(path, f"not a valid gzip file: {e}") from None
    return data


def _write_parquet(group: Sequence[CleanedDocument], src: str, dest: str, text_field: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(src)
    by_row = {r.doc.line: r for r in group}
    keep = [i for i in range(table.num_rows) if by_row.get(i + 1) is not None
            and by_row[i + 1].text is not None]
    table = table.take(pa.array(keep, type=pa.int64()))
    col = table.column_names.index(text_field)
    texts = pa.array([by_row[i + 1].text for i in keep], type=pa.string())
    pq.write_table(table.set_column(col, text_field, texts), dest)


def _write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def write_corpus(results: Sequence[CleanedDocument], outdir: str, inputs: Sequence[str],
                 text_field: str = "text") -> list[dict[str, Any]]:
    """Write the cleaned corpus and ``manifest.jsonl`` under ``outdir``, all or nothing; return the
    manifest records. Documents read from stdin are not written here (see :func:`stdout_output`).

    Everything is written into a new directory beside ``outdir`` and renamed to ``outdir`` once
    complete, so ``outdir`` holds either its old content or the whole new output; a previous
    ``dedup clean`` output there is replaced whole. On any error nothing is left behind.
    """
    check_outdir(outdir, inputs)
    locs = plan_outputs(results)
    parent = os.path.dirname(os.path.abspath(outdir))
    os.makedirs(parent, exist_ok=True)
    stage = _new_dir(parent, ".dedup-clean-")
    try:
        groups: dict[str, list[CleanedDocument]] = {}
        for r in results:
            if not r.doc.fmt.startswith("stdin"):
                groups.setdefault(r.doc.path or "", []).append(r)
        for src in sorted(groups):
            group = groups[src]
            d0 = group[0].doc
            dest = os.path.join(stage, *output_path(d0).split("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if d0.fmt in ("jsonl", "jsonl.gz"):
                data = jsonl_output(group, _read_input(src), src, text_field).encode("utf-8")
                _write_bytes(dest, gzip.compress(data, mtime=0) if d0.fmt == "jsonl.gz" else data)
            elif d0.fmt == "parquet":
                _write_parquet(group, src, dest, text_field)
            elif group[0].text is not None:
                _write_bytes(dest, group[0].text.encode("utf-8"))
        records = [r.manifest_record(locs[r.doc.id]) for r in results]
        _write_bytes(os.path.join(stage, MANIFEST_NAME),
                     "".join(_json_line(m) for m in records).encode("utf-8"))
        _commit(stage, outdir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return records


def _new_dir(parent: str, prefix: str) -> str:
    """A new, empty directory under ``parent`` with the usual permissions (unlike mkdtemp's 0700)."""
    for _ in range(100):
        path = os.path.join(parent, prefix + secrets.token_hex(6))
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary directory in {parent}")


def _commit(stage: str, outdir: str) -> None:
    """Rename the staged directory to ``outdir``, moving a previous output aside first."""
    old = None
    if os.path.exists(outdir):
        old = _new_dir(os.path.dirname(os.path.abspath(outdir)), ".dedup-old-")
        os.rmdir(old)
        os.rename(outdir, old)
    try:
        os.rename(stage, outdir)
    except BaseException:
        if old is not None:
            os.rename(old, outdir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


__all__ = ["CleanOptions", "CleanedDocument", "Edit", "KEEP_POLICIES", "apply_edits", "check_outdir",
           "clean", "dropped_documents", "read_inputs", "rebuild", "stdout_output", "summarize", "tidy_whitespace",
           "write_corpus"]
