"""Algorithm engines on plain arrays (Numba kernels, VNS, tabu, insertion, MIP, sequencing).

This package never imports :mod:`hospital_or`; the domain package converts its objects to the arrays defined in
:mod:`solvers.routing_arrays` and back.
"""
