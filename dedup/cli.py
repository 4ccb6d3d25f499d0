"""The ``dedup`` command line: parse options, call the library, render, choose the exit code.

Exit codes: 0 success (``scan`` whatever it found), 1 failing findings (``check``),
2 usage, configuration or input error — always one line on stderr, never a traceback.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import os
import sys
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer

from . import __version__
from .commands._common import ConfigOpt, effective
from .config import ScanConfig
from .errors import DedupError
from .io.readers import ReadOptions, iter_documents, read_corpus
from .io.writers import atomic_open
from .model import Report
from .rules import RULES, load_all, split_tokens

app = typer.Typer(
    name="dedup",
    help="Find near-duplicate documents, overlapping passages and machine-translation artifacts in "
    "scraped text corpora, and write a clean canonical corpus.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"dedup: error: {message}", err=True)
    return typer.Exit(code=code)


def handle_errors(fn: F) -> F:
    """Turn library errors into one stderr line and exit code 2 (typer.Exit passes through)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DedupError as e:
            raise fail(str(e), e.exit_code) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(code=0) from None
        except OSError as e:
            where = f"{e.filename}: " if getattr(e, "filename", None) else ""
            raise fail(f"{where}{e.strerror or e}") from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


class StdinFormat(str, Enum):
    txt = "txt"
    jsonl = "jsonl"


# Options shared by the commands that read a corpus.
PathsArg = Annotated[
    list[str],
    typer.Argument(help="Files, directories (walked recursively: .txt .md .jsonl .jsonl.gz .parquet) or - "
                   "for stdin.", show_default=False),
]
SelectOpt = Annotated[
    list[str] | None,
    typer.Option("--select", help="Run only these rules: codes (DUP102), prefixes (MT3, BP) or kinds "
                 "(duplicate-document, artifact ...). Repeat or comma-separate.", show_default=False),
]
IgnoreOpt = Annotated[
    list[str] | None,
    typer.Option("--ignore", help="Leave out these rules (codes, prefixes or kinds).", show_default=False),
]
ThresholdOpt = Annotated[float, typer.Option("--threshold", help="Word n-gram Jaccard for near-duplicate "
                                             "documents.")]
NumPermOpt = Annotated[int, typer.Option("--num-perm", help="MinHash permutations.")]
NgramOpt = Annotated[int, typer.Option("--ngram", help="Word n-gram size of document shingles.")]
TextFieldOpt = Annotated[str, typer.Option("--text-field", help="JSONL/Parquet field holding the text.")]
IdFieldOpt = Annotated[str, typer.Option("--id-field", help="JSONL/Parquet field holding the document id.")]
StdinFormatOpt = Annotated[StdinFormat, typer.Option("--stdin-format", help="How to read '-': one text "
                                                     "document, or JSONL records.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or messages on stderr.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Print the seconds of each stage on stderr "
                                          "(read, detectors, documents, passages and its steps; also in "
                                          "the JSON report's stats.stage_seconds).")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", help="Worker processes for detectors, fingerprints, "
                                      "passage indexing and alignment (0: one per CPU core). Results do not "
                                      "depend on it.")]
EngineOpt = Annotated[str, typer.Option("--engine", help="Where document-level MinHash/LSH runs: local or "
                                        "ray (needs pip install 'dedup\\[ray]').")]
RayAddressOpt = Annotated[str | None, typer.Option("--ray-address", help="Address of a running Ray cluster "
                                                   "(default: start a local one).", show_default=False)]


def make_config(select: list[str] | None, ignore: list[str] | None, threshold: float, num_perm: int,
                ngram: int, text_field: str, id_field: str, jobs: int = 1, engine: str = "local",
                ray_address: str | None = None, **extra: Any) -> ScanConfig:
    return ScanConfig(
        threshold=threshold, num_perm=num_perm, ngram=ngram,
        select=tuple(split_tokens(select)), ignore=tuple(split_tokens(ignore)),
        text_field=text_field, id_field=id_field, jobs=jobs if jobs > 0 else (os.cpu_count() or 1),
        engine=engine, ray_address=ray_address,
        extra=extra,
    )


def read_options(cfg: ScanConfig, stdin_format: StdinFormat) -> ReadOptions:
    return ReadOptions(text_field=cfg.text_field, id_field=cfg.id_field, stdin_format=stdin_format.value)


def run_scan(paths: list[str], cfg: ScanConfig, stdin_format: StdinFormat, quiet: bool,
             docs: list | None = None, stream: bool = False, verbose: bool = False,
             started: float | None = None) -> Report:
    """Read the corpus (unless ``docs`` were read already) and scan it, with a rich progress bar on
    stderr when it is a terminal. With ``stream=True`` a scan of document-level rules only streams
    the corpus instead of holding it in memory (the report's documents then carry no text). With
    ``verbose``, the seconds of each stage go to stderr (:func:`print_stages`), counted from
    ``started`` (a ``time.perf_counter()`` reading taken before ``docs`` were read)."""
    import time

    from .rules import resolve
    from .stream import streamable

    t = time.perf_counter() if started is None else started
    streaming = stream and docs is None and streamable(resolve(cfg.select, cfg.ignore), cfg)
    if streaming:
        from . import workers

        workers.keep_freed_memory()  # batch after batch of arrays of the same sizes: reuse them
    report = _run_scan(paths, cfg, stdin_format, quiet, docs, streaming)
    if verbose:
        print_stages(report.stats, time.perf_counter() - t, streaming)
    return report


def print_stages(stats: dict[str, Any], wall: float, streamed: bool = False) -> None:
    """One line per stage on stderr, e.g. ``dedup: passages 12.30 s (index 1.20, candidates 2.01,
    align 7.90, exact 0.95, variants 0.24)``; reading is what the whole run took beyond the scan
    (a streamed scan reads as it goes: its reading is inside ``documents``)."""
    stages = stats.get("stage_seconds", {})
    scan_s = stats.get("seconds", 0.0)
    mb = stats.get("chars", 0) / 1e6
    if streamed:
        typer.echo(f"dedup: streamed {stats.get('documents', 0)} documents ({mb:.1f} M characters), "
                   f"read as the documents stage went", err=True)
    else:
        typer.echo(f"dedup: read {stats.get('documents', 0)} documents ({mb:.1f} M characters) in "
                   f"{max(0.0, wall - scan_s):.2f} s", err=True)
    for name, sec in stages.items():
        if "." in name:
            continue
        steps = [f"{k.split('.', 1)[1]} {v:.2f}" for k, v in stages.items() if k.startswith(name + ".")]
        typer.echo(f"dedup: {name} {sec:.2f} s" + (f" ({', '.join(steps)})" if steps else ""), err=True)
    typer.echo(f"dedup: scan {scan_s:.2f} s, {wall:.2f} s with reading", err=True)


def _run_scan(paths: list[str], cfg: ScanConfig, stdin_format: StdinFormat, quiet: bool,
              docs: list | None, streaming: bool) -> Report:
    from .pipeline import scan, scan_stream

    if docs is None and not streaming:
        docs = read_corpus(paths, read_options(cfg, stdin_format))

    def run(progress: Callable[[str, int, int], None] | None) -> Report:
        if streaming:
            return scan_stream(iter_documents(paths, read_options(cfg, stdin_format)), cfg, progress)
        return scan(docs, cfg, progress)

    if quiet or not sys.stderr.isatty() or (docs is not None and len(docs) < 200):
        return run(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, advance: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.advance(tasks[stage], advance)

        return run(progress)


def write_output(text: str | Iterable[str] | Iterable[bytes], output: str | None, binary: bool = False) -> None:
    """Write ``text`` (a string or string pieces; with ``binary``, UTF-8 byte pieces) to stdout, or
    atomically to ``output``."""
    pieces = [text] if isinstance(text, str) else text
    if output is None or output == "-":
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None) if binary else None
        if binary and buffer is None:  # a stdout that takes text only
            pieces = (p.decode("utf-8") for p in pieces)
        out = buffer if buffer is not None else sys.stdout
        for p in pieces:
            out.write(p)
        out.flush()
    else:
        with atomic_open(output, "wb" if binary else "w", None if binary else "utf-8") as f:
            for p in pieces:
                f.write(p)


#: What the commands leave to the end of the process when run from :func:`main` (see there).
_KEEP: list[object] = []
_FAST_EXIT = False


def keep_until_exit(*objects: object) -> None:
    """Do not free ``objects`` (a scan's report, its corpus) when the command returns: :func:`main`
    ends the process without freeing them. A large scan's report is millions of small objects, and
    freeing them one by one took ~1.5 s of a 30 s scan. Does nothing when the app runs in-process
    (tests, ``CliRunner``)."""
    if _FAST_EXIT:
        _KEEP.extend(objects)


@app.command()
@handle_errors
def scan(
    ctx: typer.Context,
    paths: PathsArg,
    format: Annotated[TextOrJson, typer.Option("--format", "-f", help="text for people, json for machines "
                                               "(report v1).")] = TextOrJson.text,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report here (atomically) "
                                               "instead of stdout.", show_default=False)] = None,
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
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Report near-duplicate documents, overlapping passages, artifacts and boilerplate.

    Exits 0 whatever it found; 2 on a usage or input error.

    Example: dedup scan fixtures/ --format json -o report.json
    """
    from .report import to_text
    from .report.jsonfmt import iter_json_bytes

    v, _, _ = effective(ctx, config, threshold=threshold, num_perm=num_perm, ngram=ngram, select=select,
                        ignore=ignore, text_field=text_field, id_field=id_field, jobs=jobs)
    cfg = make_config(v["select"], v["ignore"], v["threshold"], v["num_perm"], v["ngram"], v["text_field"],
                      v["id_field"], v["jobs"], engine, ray_address)
    report = run_scan(paths, cfg, stdin_format, quiet, stream=True, verbose=verbose)
    if format is TextOrJson.json:
        write_output(iter_json_bytes(report), output, binary=True)
    else:
        write_output(to_text(report), output)
    keep_until_exit(report)


@app.command("rules")
@handle_errors
def rules_cmd(
    format: Annotated[TextOrJson, typer.Option("--format", "-f", help="text or json.")] = TextOrJson.text,
) -> None:
    """List every rule: code, name, kind, default severity and what it means."""
    import json

    rows = [RULES[c] for c in sorted(load_all())]
    if format is TextOrJson.json:
        typer.echo(json.dumps([{"code": r.code, "name": r.name, "kind": r.kind, "severity": r.severity,
                                "summary": r.summary, "help": r.help} for r in rows], indent=2))
        return
    for r in rows:
        typer.echo(f"{r.code:8} {r.severity:8} {r.kind:19} {r.name:24} {r.summary}")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"dedup {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """dedup: near-duplicates and translation artifacts in scraped corpora."""


# Other commands live in their own modules and register themselves on ``app`` when imported.
COMMAND_MODULES: list[str] = ["dedup.commands.clean", "dedup.commands.check", "dedup.commands.index",
                               "dedup.commands.align"]
for _name in COMMAND_MODULES:
    importlib.import_module(_name)


def main() -> None:
    """The ``dedup`` console script: the app, then a fast exit — exit handlers run and the streams
    are flushed, but the objects the commands kept (:func:`keep_until_exit`) are not freed one by
    one (as mypy does at its end)."""
    global _FAST_EXIT
    from .workers import gc_paused

    _FAST_EXIT = True
    code: object = 0
    with gc_paused():  # reading and writing a large corpus's report too (see gc_paused)
        try:
            app()
        except SystemExit as e:
            code = e.code
        if sys.getprofile() is not None or sys.gettrace() is not None:  # a profiler or coverage: let it finish
            raise SystemExit(code)
        # still with the collector paused: once resumed, its first full pass would walk every object
        # kept (1.3 s after a large scan)
        if isinstance(code, str):  # as Python prints the message of sys.exit("...")
            sys.stderr.write(code + "\n")
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can reach it
                pass
        os._exit(code if isinstance(code, int) else 0 if code is None else 1)


if __name__ == "__main__":
    main()
