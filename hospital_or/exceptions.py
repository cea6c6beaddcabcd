"""Exception and warning types of the package.

Every reader raises :class:`InstanceFormatError` (and nothing else) for malformed input; its message names the file,
the line and the problem. :class:`InvalidProblemError` explains data that parses but cannot describe a solvable problem
(which requests, and why).
"""

from __future__ import annotations

from pathlib import Path


class HospitalORError(Exception):
    """Base class of every error the package raises on purpose."""


class InstanceFormatError(HospitalORError, ValueError):
    """A file could not be read.

    Parameters
    ----------
    path
        The file (or a label such as ``"<string>"``).
    line
        1-based line number of the problem, or ``None`` when it concerns the whole file.
    problem
        What is wrong, in words a user can act on.
    """

    def __init__(self, path: str | Path, line: int | None, problem: str):
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


class InvalidProblemError(HospitalORError, ValueError):
    """Problem data that is inconsistent or cannot be served.

    Parameters
    ----------
    issues
        One line per finding, each naming the request(s) concerned.
    """

    def __init__(self, issues: list[str] | str):
        self.issues = [issues] if isinstance(issues, str) else list(issues)
        shown = "; ".join(self.issues[:5])
        more = f" (and {len(self.issues) - 5} more)" if len(self.issues) > 5 else ""
        super().__init__(f"invalid problem: {shown}{more}")


class NoFeasibleSolutionError(HospitalORError):
    """A solver finished without a feasible solution."""


class ScalingWarning(UserWarning):
    """Values are so large that float64 arithmetic in the solvers loses the resolution the checker uses."""
