"""``dedup check``: the pre-ingest CI step, and ``dedup baseline write``.

Exit codes like ruff: 0 no failing findings, 1 failing findings, 2 usage, configuration or input
error. Machine formats go to stdout (or ``-o``); progress and the summary go to stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

import typer

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
    run_scan,
    write_output,
)
from ..model import Finding, Report
from ..rules import load_all
from ..settings import FailOn, parse_fail_on
from ._common import ConfigOpt, IndexOpt, OutputOpt, effective, given_options


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    github = "github"
    sarif = "sarif"
    junit = "junit"
    html = "html"


def check_report(paths: list[str], v: dict[str, Any], explicit: set[str], stdin_format: StdinFormat,
                 quiet: bool, verbose: bool = False) -> Report:
    """Scan the batch and, with an index, match it against the index. Findings sorted, ids set."""
    from ..index import IndexStore, match_index
    from ..report.fingerprint import assign_ids
    from ..rules import resolve

    cfg = make_config(v["select"], v["ignore"], v["threshold"], v["num_perm"], v["ngram"], v["text_field"],
                      v["id_field"], v["jobs"], v.get("engine", "local"), v.get("ray_address"))
    store = None
    if v.get("index"):
        store = IndexStore.open(v["index"], cfg, explicit=explicit, for_check=True)
    try:
        if store is not None:  # the batch is fingerprinted as the index was
            threshold = cfg.threshold if "threshold" in explicit else store.cfg.threshold
            cfg = cfg.with_(ngram=store.cfg.ngram, num_perm=store.cfg.num_perm, seed=store.cfg.seed,
                            threshold=threshold)
        report = run_scan(paths, cfg, stdin_format, quiet, verbose=verbose)
        if store is not None:
            matched = match_index(report.documents, store, cfg.threshold, resolve(cfg.select, cfg.ignore))
            report.findings.extend(matched.findings)
            report.findings.sort(key=Finding.sort_key)
            assign_ids(report.findings)
            report.stats.update(matched.stats)
            report.stats["findings"] = len(report.findings)
            by_rule: dict[str, int] = {}
            for f in report.findings:
                by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
            report.stats["findings_by_rule"] = dict(sorted(by_rule.items()))
            report.config["index"] = {"path": v["index"], **store.params}
    finally:
        if store is not None:
            store.close()
    return report


def render(report: Report, fmt: CheckFormat, fails: Callable[[Finding], bool]) -> str:
    from ..report import github, html, jsonl, junit, sarif, to_json
    from ..report.concise import to_concise

    if fmt is CheckFormat.json:
        return to_json(report)
    if fmt is CheckFormat.jsonl:
        return jsonl.render(report)
    if fmt is CheckFormat.github:
        return github.render(report)
    if fmt is CheckFormat.sarif:
        return sarif.render(report)
    if fmt is CheckFormat.junit:
        return junit.render(report, fails)
    if fmt is CheckFormat.html:
        return html.render(report, fails)
    return to_concise(report, fails)


@app.command()
@handle_errors
def check(
    ctx: typer.Context,
    paths: PathsArg,
    index: IndexOpt = None,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="text (one line per finding), json "
                                                "(report v1), jsonl (one finding per line), github (Actions "
                                                "annotations), sarif (2.1.0), junit (XML), html (review "
                                                "page).")] = CheckFormat.text,
    output: OutputOpt = None,
    fail_on: Annotated[list[str] | None, typer.Option(
        "--fail-on", help="What makes the check fail: a severity (info, warning, error: that or worse; "
        "none: no severity), and/or rule codes, prefixes or kinds that always fail. Default: warning.",
        show_default=False)] = None,
    baseline: Annotated[str | None, typer.Option("--baseline", help="Ignore the findings listed in this "
                                                 "baseline file (see 'dedup baseline write').",
                                                 show_default=False)] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when findings fail (still 2 on "
                                            "errors).")] = False,
    config: ConfigOpt = None,
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
    """Check a batch before ingesting it: duplicates within the batch and against an index of what was
    already ingested, passages, artifacts, boilerplate. Exits 0 when no finding fails, 1 when some do,
    2 on a usage, configuration or input error.

    Example: dedup check new-batch/ --index ingested.db --format github
    """
    from ..baseline import apply_baseline, load_baseline

    load_all()  # every rule registered before --fail-on is resolved
    v, explicit, _ = effective(ctx, config, threshold=threshold, num_perm=num_perm, ngram=ngram, select=select,
                               ignore=ignore, text_field=text_field, id_field=id_field, jobs=jobs, index=index,
                               baseline=baseline, fail_on=fail_on, format=format.value)
    v.update(engine=engine, ray_address=ray_address)
    fmt = CheckFormat(v["format"])
    policy: FailOn = parse_fail_on(v["fail_on"])
    accepted = load_baseline(v["baseline"]) if v["baseline"] else frozenset()
    report = check_report(paths, v, explicit, stdin_format, quiet, verbose)
    if v["baseline"]:
        report.findings, n = apply_baseline(report.findings, accepted)
        report.stats["baseline_suppressed"] = n
    failing = [f for f in report.findings if policy.fails(f)]
    report.stats["failing"] = len(failing)
    write_output(render(report, fmt, policy.fails), output)
    keep_until_exit(report)
    if not quiet and (fmt is not CheckFormat.text or output):
        n = len(report.findings)
        extra = f", {report.stats['baseline_suppressed']} accepted by the baseline" if v["baseline"] else ""
        typer.echo(f"dedup check: {report.stats.get('documents', 0)} documents, {n} finding"
                   f"{'s' if n != 1 else ''}, {len(failing)} failing{extra}", err=True)
    if failing and not exit_zero:
        raise typer.Exit(code=1)


baseline_app = typer.Typer(help="Accept the current findings so that later checks ignore them.",
                           no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("write")
@handle_errors
def baseline_write(
    ctx: typer.Context,
    paths: PathsArg,
    output: Annotated[str, typer.Option("--output", "-o", help="Baseline file to write (atomically).")]
    = "dedup-baseline.json",
    index: IndexOpt = None,
    config: ConfigOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    threshold: ThresholdOpt = 0.8,
    num_perm: NumPermOpt = 128,
    ngram: NgramOpt = 5,
    text_field: TextFieldOpt = "text",
    id_field: IdFieldOpt = "id",
    stdin_format: StdinFormatOpt = StdinFormat.txt,
    jobs: JobsOpt = 0,
    quiet: QuietOpt = False,
) -> None:
    """Run the same analysis as 'dedup check' and write every finding's fingerprint to a baseline file;
    'dedup check --baseline FILE' then ignores them.

    Example: dedup baseline write corpus/ --index ingested.db -o dedup-baseline.json
    """
    from ..baseline import write_baseline

    load_all()
    v, explicit, _ = effective(ctx, config, threshold=threshold, num_perm=num_perm, ngram=ngram, select=select,
                               ignore=ignore, text_field=text_field, id_field=id_field, jobs=jobs, index=index)
    report = check_report(paths, v, explicit, stdin_format, quiet)
    n = write_baseline(output, report.findings)
    if not quiet:
        typer.echo(f"dedup: wrote {n} finding{'s' if n != 1 else ''} to {output}", err=True)


__all__ = ["CheckFormat", "check", "check_report", "effective", "given_options", "render"]
