"""Options and helpers shared by ``check``, ``baseline`` and ``index`` (no import of ``dedup.cli``,
so the command modules can import it while ``dedup.cli`` is loading them)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..settings import Settings, load_settings, merge

IndexOpt = Annotated[str | None, typer.Option("--index", help="Persistent index (SQLite file) of documents "
                                              "already ingested: also report batch documents that repeat "
                                              "them.", show_default=False)]
ConfigOpt = Annotated[str | None, typer.Option("--config", help="Configuration file (pyproject.toml with "
                                               "[tool.dedup], or dedup.toml). Default: the first found "
                                               "from the current directory upwards.", show_default=False)]
OutputOpt = Annotated[str | None, typer.Option("--output", "-o", help="Write the output here (atomically) "
                                               "instead of stdout.", show_default=False)]

#: Options a configuration file may set, by parameter name.
_SETTABLE = ("threshold", "num_perm", "ngram", "select", "ignore", "text_field", "id_field", "jobs",
             "index", "baseline", "fail_on", "format")


def given_options(ctx: typer.Context) -> set[str]:
    """Names of the parameters given on the command line (or in the environment). Compared by name:
    typer may bundle its own copy of click, with its own ``ParameterSource`` enum."""
    given = set()
    for name in ctx.params:
        source = ctx.get_parameter_source(name)
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            given.add(name)
    return given


def effective(ctx: typer.Context, config: str | None, **cli: Any) -> tuple[dict[str, Any], set[str], Settings]:
    """Command-line values merged over the configuration file (see :func:`dedup.settings.merge`)."""
    settings = load_settings(config)
    values, explicit = merge(cli, given_options(ctx), settings)
    return values, explicit, settings
