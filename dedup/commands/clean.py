"""``dedup clean``: scan, then write the canonical corpus and its manifest (see dedup.clean)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from enum import Enum
from typing import Annotated

import typer

from ..clean import (
    DEFAULT_SPAN_KINDS,
    MANIFEST_NAME,
    CleanedDocument,
    CleanOptions,
    check_outdir,
    clean,
    read_inputs,
    stdout_output,
    summarize,
    write_corpus,
)
from ..cli import (
    EngineOpt,
    IdFieldOpt,
    IgnoreOpt,
    JobsOpt,
    NgramOpt,
    NumPermOpt,
    PathsArg,
    QuietOpt,
    RayAddressOpt,
    SelectOpt,
    StdinFormat,
    StdinFormatOpt,
    TextFieldOpt,
    ThresholdOpt,
    VerboseOpt,
    app,
    handle_errors,
    keep_until_exit,
    make_config,
    read_options,
    run_scan,
)
from ..errors import UsageError


class KeepPolicy(str, Enum):
    canonical = "canonical"
    variants = "variants"
    all = "all"


def render_summary(results: Sequence[CleanedDocument], outdir: str | None, limit: int = 20) -> str:
    """A few lines for people: counts, then what happened to each changed document."""
    s = summarize(results)
    pct = 100.0 * (s["chars_in"] - s["chars_out"]) / s["chars_in"] if s["chars_in"] else 0.0
    lines = [f"cleaned {s['documents']} documents: {s['kept']} kept, {s['modified']} modified, "
             f"{s['dropped']} dropped; {s['chars_in']:,} -> {s['chars_out']:,} characters (-{pct:.1f}%)"]
    changed = [r for r in results if r.action != "kept"]
    for r in changed[:limit]:
        if r.action == "dropped":
            lines.append(f"  dropped  {r.doc.id} (duplicate of {r.duplicate_of}, {r.edits[0].rule})")
            continue
        rules: dict[str, int] = {}
        for e in r.edits:
            rules[e.rule] = rules.get(e.rule, 0) + 1
        what = ", ".join(f"{k} x{v}" for k, v in sorted(rules.items()))
        lines.append(f"  modified {r.doc.id}: {len(r.doc.text):,} -> {r.chars_out:,} characters ({what})")
    if len(changed) > limit:
        lines.append(f"  ... and {len(changed) - limit} more (see the manifest)")
    if outdir is not None:
        lines.append(f"wrote {outdir} (manifest {outdir.rstrip('/')}/{MANIFEST_NAME})")
    return "\n".join(lines) + "\n"


@app.command("clean")
@handle_errors
def clean_cmd(
    paths: PathsArg,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", metavar="OUTDIR",
        help="Directory for the cleaned corpus (same layout and formats as the input) and "
        f"{MANIFEST_NAME}. Must not be, contain or lie inside an input; an existing OUTDIR must be "
        "empty or a previous clean output (replaced whole). Optional when the only input is '-'.",
        show_default=False)] = None,
    keep: Annotated[KeepPolicy, typer.Option(
        "--keep", help="Which cluster members stay: canonical (only each cluster's canonical member), "
        "variants (also members of variant clusters: translations, rewrites), all (no document is "
        "dropped; spans are still cleaned).")] = KeepPolicy.canonical,
    mark: Annotated[bool, typer.Option(
        "--mark", help="Remove nothing: wrap every span in visible markers [-RULE: text-]{+repair+} "
        "and keep dropped documents whole inside one marker, for review.")] = False,
    remove_language: Annotated[bool, typer.Option(
        "--remove-language", help="Also remove the spans of language findings (LANG4xx); by default "
        "they are only reported, since a language switch may be a legitimate quote.")] = False,
    rounds: Annotated[int, typer.Option(
        "--rounds", help="Scan the cleaned texts and clean them again until nothing changes, at most "
        "this many passes (1: a single pass), so that cleaning the output again changes nothing.")] = 3,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    threshold: ThresholdOpt = 0.8,
    num_perm: NumPermOpt = 128,
    ngram: NgramOpt = 5,
    text_field: TextFieldOpt = "text",
    id_field: IdFieldOpt = "id",
    stdin_format: StdinFormatOpt = StdinFormat.txt,
    jobs: JobsOpt = 0,
    engine: EngineOpt = "local",
    ray_address: RayAddressOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Write a clean canonical corpus: drop duplicate documents, remove duplicate passages and
    boilerplate, repair or remove garbled spans, and account for every input document in
    OUTDIR/manifest.jsonl (from which each output can be rebuilt).

    Documents read from '-' are written to stdout. A summary goes to stderr unless --quiet.
    Exits 0 on success, 2 on a usage or input error (nothing is written then).

    Example: dedup clean fixtures/seeds fixtures/bbc -o out/clean
    """
    if output is None and any(p != "-" for p in paths):
        raise UsageError("-o OUTDIR is required unless the only input is '-'")
    if output is not None:
        check_outdir(output, paths)  # before the (possibly long) scan
    cfg = make_config(select, ignore, threshold, num_perm, ngram, text_field, id_field, jobs, engine,
                      ray_address)
    options = CleanOptions(keep=keep.value, mark=mark, rounds=rounds,
                           span_kinds=DEFAULT_SPAN_KINDS | ({"language"} if remove_language else set()))
    started = time.perf_counter()
    stdin_data = sys.stdin.buffer.read() if "-" in paths else b""
    docs = read_inputs(paths, read_options(cfg, stdin_format), stdin_data)
    report = run_scan(paths, cfg, stdin_format, quiet, docs, verbose=verbose, started=started)
    from ..pipeline import scan

    results = clean(report, options, rescan=lambda ds: scan(ds, cfg))
    text = stdout_output(results, cfg.text_field, stdin_data)  # validates stdin records first
    if output is not None:
        write_corpus(results, output, paths, cfg.text_field)
    if "-" in paths:
        sys.stdout.write(text)
        sys.stdout.flush()
    if not quiet:
        typer.echo(render_summary(results, output), err=True, nl=False)
    keep_until_exit(report, results, docs)
