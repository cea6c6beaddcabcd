"""The ``hospital-or`` command line.

Every subcommand is a thin shell over a library function. Subcommands live in the modules of this package; each
module defines ``register(cli: click.Group) -> None`` and is discovered automatically, so adding a command never
touches this file. The ``instances`` and ``adds`` groups are created here so several modules can add to them.

Exit codes (all subcommands): 0 success, 1 input or runtime error (one readable line on stderr; the traceback only
with ``--debug``), 2 usage error, 3 infeasible solution / no feasible result.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys

import click

from hospital_or import __version__
from hospital_or.exceptions import HospitalORError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INFEASIBLE = 3


def exit_with(code: int) -> None:
    """Stop a command with an exit code (e.g. :data:`EXIT_INFEASIBLE`) without printing anything more."""
    raise click.exceptions.Exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="hospital-or")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug logs).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: int) -> None:
    """Operations research for hospital logistics: AMR routing, drug dispensing, simulation."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)


@cli.group()
def instances() -> None:
    """Generate, show and convert instances."""


@cli.group()
def adds() -> None:
    """Automated drug dispensing system (ADDS): retrieval sequencing."""


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(cli)


_discover()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns (and exits with) the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        code = cli.main(args=argv, prog_name="hospital-or", standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version, explicit ctx.exit(n)
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("hospital-or: aborted", err=True)
        code = EXIT_ERROR
    except click.UsageError as exc:
        exc.show()
        code = EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (HospitalORError, OSError, ValueError, KeyError, RuntimeError) as exc:
        if debug:
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        click.echo(f"hospital-or: error: {message}", err=True)
        code = EXIT_ERROR
    return code if isinstance(code, int) else EXIT_OK
