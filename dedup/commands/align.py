"""``dedup align``: the spans of a text (e.g. a machine translation) that a reference does not
support (see :func:`dedup.align.align_texts`)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ..cli import TextOrJson, app, handle_errors, write_output
from ..errors import InputError, UsageError
from ..io.readers import _decode, _read_bytes, iter_jsonl_lines
from ..io.writers import json_text


def spans_record(reference: str, text: str) -> list[dict]:
    from .. import passages  # noqa: F401  (registers MT351/MT352; imported when a command needs it)
    from ..align import align_texts

    return [{"start": s, "end": e, "rule": r, "message": m} for s, e, r, m in align_texts(reference, text)]


def highlight(text: str, spans: list[dict], color: bool) -> str:
    """``text`` with each span wrapped in ``[[ ]]`` (or shown in reverse red on a terminal)."""
    out, pos = [], 0
    for sp in spans:
        s, e = sp["start"], sp["end"]
        if s < pos:
            continue
        out.append(text[pos:s])
        out.append(f"\x1b[7;31m{text[s:e]}\x1b[0m" if color else f"[[{text[s:e]}]]")
        pos = e
    out.append(text[pos:])
    return "".join(out)


def _read_text(path: str) -> str:
    if path == "-":
        return _decode(sys.stdin.buffer.read(), "<stdin>")
    return _decode(_read_bytes(path), path)


def align_pairs(path: str) -> list[str]:
    """Output lines for a JSONL file of ``{"id", "reference", "text"}`` records."""
    data = sys.stdin.buffer.read() if path == "-" else _read_bytes(path)
    out = []
    for lineno, line in iter_jsonl_lines(data, path):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(path, f"malformed JSON: {e.msg}", lineno) from None
        if not isinstance(rec, dict):
            raise InputError(path, "JSONL line is not a JSON object", lineno)
        for field in ("reference", "text"):
            if not isinstance(rec.get(field), str):
                raise InputError(path, f"record has no string field {field!r}", lineno)
        spans = spans_record(rec["reference"], rec["text"])
        out.append(json_text({"id": rec.get("id"), "spans": spans}))
    return out


@app.command("align")
@handle_errors
def align_cmd(
    reference: Annotated[str | None, typer.Argument(help="The clean version (file, or - for stdin).",
                                                    show_default=False)] = None,
    text: Annotated[str | None, typer.Argument(help="The text to check, e.g. a machine translation.",
                                               show_default=False)] = None,
    pairs: Annotated[str | None, typer.Option("--pairs", help="JSONL file of {\"id\", \"reference\", "
                                              "\"text\"} records (instead of the two files).",
                                              show_default=False)] = None,
    format: Annotated[TextOrJson, typer.Option("--format", "-f", help="text: the text with unsupported "
                                               "spans highlighted; json: the spans.")] = TextOrJson.text,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write here (atomically) instead "
                                               "of stdout.", show_default=False)] = None,
) -> None:
    """Mark the spans of TEXT that REFERENCE does not support (MT351 tokens, MT352 sentences).

    Example: dedup align clean.txt translated.txt

    Example: dedup align --pairs pairs.jsonl -o spans.jsonl   (one {"id", "spans"} line per record)
    """
    if pairs is not None:
        if reference is not None or text is not None:
            raise UsageError("give either REFERENCE_FILE TEXT_FILE or --pairs, not both")
        lines = align_pairs(pairs)
        write_output("".join(line + "\n" for line in lines), output)
        return
    if reference is None or text is None:
        raise UsageError("give REFERENCE_FILE and TEXT_FILE, or --pairs PAIRS.jsonl")
    if reference == "-" and text == "-":
        raise UsageError("only one of REFERENCE_FILE and TEXT_FILE can be -")
    ref_text, txt = _read_text(reference), _read_text(text)
    spans = spans_record(ref_text, txt)
    if format is TextOrJson.json:
        body = json_text({"reference": reference, "text": text, "spans": spans}, 2) + "\n"
    else:
        color = output is None and sys.stdout.isatty()
        chars = sum(s["end"] - s["start"] for s in spans)
        body = (highlight(txt, spans, color).rstrip("\n") + "\n\n"
                + f"{len(spans)} unsupported span(s), {chars} of {len(txt)} characters\n")
    write_output(body, output)
