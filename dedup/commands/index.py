"""``dedup index add|info|remove``: the persistent index of ingested documents."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..cli import (
    IdFieldOpt,
    NgramOpt,
    NumPermOpt,
    PathsArg,
    QuietOpt,
    StdinFormat,
    StdinFormatOpt,
    TextFieldOpt,
    TextOrJson,
    ThresholdOpt,
    app,
    handle_errors,
    make_config,
    read_options,
)
from ..errors import UsageError
from ._common import ConfigOpt, IndexOpt, effective

index_app = typer.Typer(help="The persistent index (one SQLite file) of documents already ingested, which "
                        "'dedup check --index' compares new batches against.", no_args_is_help=True,
                        context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(index_app, name="index")


def _index_path(v: dict) -> str:
    if not v.get("index"):
        raise UsageError("no index given: pass --index FILE or set 'index' in [tool.dedup]")
    return v["index"]


@index_app.command("add")
@handle_errors
def index_add(
    ctx: typer.Context,
    paths: PathsArg,
    index: IndexOpt = None,
    replace: Annotated[bool, typer.Option("--replace", help="Update documents already indexed under the same "
                                          "id with other text (default: that is an error).")] = False,
    config: ConfigOpt = None,
    threshold: ThresholdOpt = 0.8,
    num_perm: NumPermOpt = 128,
    ngram: NgramOpt = 5,
    text_field: TextFieldOpt = "text",
    id_field: IdFieldOpt = "id",
    stdin_format: StdinFormatOpt = StdinFormat.txt,
    quiet: QuietOpt = False,
) -> None:
    """Add documents to the index (creating it if needed). The index records the parameters it was built
    with; later runs must use the same ones. Safe to run from several processes at once.

    Example: dedup index add batch-001/ --index ingested.db
    """
    from ..index import IndexStore
    from ..io.readers import read_corpus

    v, explicit, _ = effective(ctx, config, threshold=threshold, num_perm=num_perm, ngram=ngram,
                               text_field=text_field, id_field=id_field, index=index)
    path = _index_path(v)
    cfg = make_config(None, None, v["threshold"], v["num_perm"], v["ngram"], v["text_field"], v["id_field"])
    docs = read_corpus(paths, read_options(cfg, stdin_format))
    with IndexStore.open(path, cfg, create=True, explicit=explicit) as store:
        res = store.add(docs, replace=replace)
    if not quiet:
        typer.echo(f"dedup: indexed {res.added} new document{'s' if res.added != 1 else ''} "
                   f"({res.unchanged} unchanged, {res.replaced} replaced); {path} holds {res.total}", err=True)


@index_app.command("info")
@handle_errors
def index_info(
    ctx: typer.Context,
    index: IndexOpt = None,
    format: Annotated[TextOrJson, typer.Option("--format", "-f", help="text or json.")] = TextOrJson.text,
    ids: Annotated[bool, typer.Option("--ids", help="Also list the indexed document ids.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Show what the index holds: documents, size, schema version and build parameters.

    Example: dedup index info --index ingested.db --format json
    """
    from ..config import ScanConfig
    from ..index import IndexStore

    v, _, _ = effective(ctx, config, index=index)
    with IndexStore.open(_index_path(v), ScanConfig()) as store:
        info = store.info()
        if ids:
            info["ids"] = store.ids()
    if format is TextOrJson.json:
        typer.echo(json.dumps(info, indent=2, sort_keys=True))
        return
    per_doc = info["bytes"] / info["documents"] if info["documents"] else 0
    typer.echo(f"index       {info['path']}\nschema      {info['schema_version']} ({info['created_by']})\n"
               f"documents   {info['documents']} ({info['chars']:,} characters)\n"
               f"band keys   {info['band_keys']}\npassages    {info['passages']}\n"
               f"size        {info['bytes']:,} bytes ({per_doc:,.0f} per document)")
    for k, val in sorted(info["params"].items()):
        typer.echo(f"param       {k} = {val}")
    for i in info.get("ids", []):
        typer.echo(i)


@index_app.command("remove")
@handle_errors
def index_remove(
    ctx: typer.Context,
    ids: Annotated[list[str], typer.Argument(help="Ids of the documents to remove.", show_default=False)],
    index: IndexOpt = None,
    missing_ok: Annotated[bool, typer.Option("--missing-ok", help="Ids not in the index are not an "
                                             "error.")] = False,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Remove documents from the index by id (all or nothing: an unknown id is an error).

    Example: dedup index remove politics/012.txt --index ingested.db
    """
    from ..config import ScanConfig
    from ..index import IndexStore

    v, _, _ = effective(ctx, config, index=index)
    with IndexStore.open(_index_path(v), ScanConfig()) as store:
        n = store.remove(ids, missing_ok=missing_ok)
        total = store.count()
    if not quiet:
        typer.echo(f"dedup: removed {n} document{'s' if n != 1 else ''}; {v['index']} holds {total}", err=True)
