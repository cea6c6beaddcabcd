"""``hospital-or instances show`` and ``hospital-or instances convert`` (thin shells over :mod:`hospital_or.io`)."""

from __future__ import annotations

import json

import click


@click.command("show")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Readable table or one JSON object.",
)
def show(instance: str, fmt: str) -> None:
    """Summarise INSTANCE (our JSON, Solomon, dynamic Solomon or E-VRPTW)."""
    from hospital_or.io import format_summary, instance_summary, read_instance

    summary = instance_summary(read_instance(instance))
    if fmt == "json":
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        click.echo(format_summary(summary))


@click.command("convert")
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@click.option(
    "--to",
    "fmt",
    type=click.Choice(["json", "solomon", "evrptw"]),
    default=None,
    help="Target format (default from the suffix: .json ours, .txt Solomon).",
)
@click.option(
    "--lossy", is_flag=True, help="Allow dropping what the target format cannot hold (e.g. stations in Solomon)."
)
def convert(source: str, target: str, fmt: str | None, lossy: bool) -> None:
    """Read SOURCE (any instance format) and write TARGET (.json ours, .txt Solomon, or --to evrptw)."""
    from hospital_or.io import read_instance, write_instance

    write_instance(read_instance(source), target, lossy=lossy, format=fmt)


def register(cli: click.Group) -> None:
    """Add ``show`` and ``convert`` to the ``instances`` group."""
    group = cli.commands["instances"]
    group.add_command(show)
    group.add_command(convert)
