"""Parameters of the routing solvers, loadable from TOML.

:class:`VNSParams` is defined next to the algorithm in :mod:`solvers.vns` (the engine package cannot import this
one) and re-exported here. A TOML file may hold the keys at top level or in a ``[vns]`` table; keys it leaves out
keep the documented defaults, unknown keys raise ``ValueError``::

    [vns]
    shaking = "cyclic"        # or "remove_reinsert"
    acceptance = "sa"         # or "improving"
    granular = 20
    penalty_init = 10.0

Defaults (spec section 2.7 and Schneider et al. 2014): granular lists of 10, Or-opt segments up to 3, cyclic-exchange
shaking with k_max = 15, simulated annealing accepting an 8 % worse solution with probability 0.5 at the start,
penalty weights 10 in [0.5, 5000] updated by a factor 1.2 per iteration, AMR decrease on feasible solutions.
"""

from __future__ import annotations

from pathlib import Path

from solvers.vns import VNSParams


def load_params(path: str | Path | None, algo: str = "vns"):
    """Parameters of ``algo`` (``"vns"`` or ``"tabu"``) from a TOML file, or the defaults when ``path`` is ``None``.

    Raises
    ------
    ValueError
        Unknown keys or values out of range.
    OSError
        The file cannot be read.
    """
    if algo == "tabu":
        from solvers.tabu import TabuParams

        return None if path is None else TabuParams.from_file(path)
    if path is None:
        return VNSParams()
    return VNSParams.from_file(path)


__all__ = ["VNSParams", "load_params"]
