"""``bridge addresses`` (and ``bridge serve --addresses``): the OSC address table, printed.

The table is every address ``bridge serve`` answers with every registered engine: the
daemon's own, each engine's verbs and the streams' (Markdown, as in docs/PROTOCOL.md).
Serving does not print it; a performer asks for it.
"""

from __future__ import annotations

from typing import Any

import click


def full_table() -> str:
    """Every address ``bridge serve`` answers with every registered engine, as Markdown."""
    from bridge.live.live import STREAM_ADDRESSES
    from bridge.server.table import address_table_markdown, addresses

    return address_table_markdown({**addresses(), **{a.path: a for a in STREAM_ADDRESSES}})


@click.command()
def addresses() -> None:
    """Print every OSC address the bridge answers (the address table) and exit."""
    click.echo(full_table(), nl=False)


def _print_and_exit(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(full_table(), nl=False)
        ctx.exit()


ADDRESSES_OPTION = click.option(
    "--addresses",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_and_exit,
    help="Print every OSC address the bridge answers (the address table) and exit.",
)

__all__ = ["ADDRESSES_OPTION", "addresses", "full_table"]
