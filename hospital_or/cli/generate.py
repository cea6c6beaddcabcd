"""``hospital-or instances generate hospital|dynamic-solomon`` (thin shells over :mod:`hospital_or.generators`)."""

from __future__ import annotations

import click


def _clock(value: str | None) -> float | None:
    """``"07:30"`` -> 27000.0 seconds since midnight (``"24:00"`` allowed)."""
    if value is None:
        return None
    try:
        hours, minutes = value.split(":")
        seconds = int(hours) * 3600 + int(minutes) * 60
    except ValueError:
        raise click.BadParameter(f"expected HH:MM, got {value!r}") from None
    if not 0 <= seconds <= 24 * 3600 or not 0 <= int(minutes) < 60:
        raise click.BadParameter(f"{value!r} is not a time of day")
    return float(seconds)


@click.group("generate")
def generate() -> None:
    """Generate instances: hospital AMR days and dynamic Solomon files (seeded, byte-identical per seed)."""


@generate.command("hospital")
@click.option(
    "--size",
    type=click.Choice(["small", "medium", "large"]),
    help="Preset: small = 144-bed morning 07-13 h, 32 requests; medium = 400 beds 06-14 h, 100 requests; "
    "large = the full 400-bed day, 560 requests. Default: small, or with --requests N the smallest preset "
    "whose day has room for N (small up to 80, medium up to 250, else large).",
)
@click.option("--requests", "n_requests", type=click.IntRange(min=1), help="Number of requests (overrides the preset).")
@click.option("--dynamism", type=click.FloatRange(0.0, 1.0), help="Share of requests revealed during the day.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--ward-floors", type=click.IntRange(min=1), help="Ward floors (two 32-bed wards each).")
@click.option("--start", help="Start of the day, HH:MM (overrides the preset).")
@click.option("--end", help="End of the day, HH:MM (overrides the preset).")
@click.option("--max-vehicles", type=click.IntRange(min=1), help="Fleet limit (default: the witness plan's AMRs).")
@click.option("--name", help="Instance name (default: from the preset).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output file: .json (ours) or .txt.")
def hospital(
    size: str | None,
    n_requests: int | None,
    dynamism: float | None,
    seed: int,
    ward_floors: int | None,
    start: str | None,
    end: str | None,
    max_vehicles: int | None,
    name: str | None,
    out: str,
) -> None:
    """Generate a hospital AMR instance (layout, requests, fleet; see hospital_or.generators.hospital)."""
    from hospital_or.generators import generate_hospital, hospital_preset
    from hospital_or.io import write_instance

    overrides = {
        "n_requests": n_requests,
        "dynamism": dynamism,
        "ward_floors": ward_floors,
        "day_start": _clock(start),
        "day_end": _clock(end),
        "max_vehicles": max_vehicles,
        "name": name,
    }
    if size is None:
        size = "small" if (n_requests or 0) <= 80 else "medium" if n_requests <= 250 else "large"
    config = hospital_preset(size, **{k: v for k, v in overrides.items() if v is not None})
    problem = generate_hospital(config, seed=seed)
    write_instance(problem, out)
    click.echo(f"wrote {out}: {problem.source}; fleet limit {problem.fleet.max_vehicles}")


@generate.command("dynamic-solomon")
@click.argument("solomon_file", type=click.Path(dir_okay=False))
@click.option("--dod", type=click.FloatRange(0.0, 1.0), required=True, help="Degree of dynamism (share of customers "
              "with a positive ready time that become dynamic).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of random.Random.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Output file: .txt (Solomon with AVAIL. TIME) or .json.")
def dynamic_solomon(solomon_file: str, dod: float, seed: int, out: str) -> None:
    """Make SOLOMON_FILE dynamic by our convention (shared/instances/lackner/README.md; not Lackner's rule)."""
    from hospital_or.generators import make_dynamic_solomon
    from hospital_or.io import read_instance, write_instance

    problem = make_dynamic_solomon(read_instance(solomon_file), dod, seed)
    write_instance(problem, out)
    click.echo(f"wrote {out}: {problem.source}")


def register(cli: click.Group) -> None:
    """Add ``generate`` to the ``instances`` group."""
    cli.commands["instances"].add_command(generate)
