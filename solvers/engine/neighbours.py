"""Granular neighbour lists (the k most promising requests to sit next to each request)."""

from __future__ import annotations

import numpy as np

from solvers.routing_arrays import RoutingArrays


def granular_neighbours(arrays: RoutingArrays, k: int = 20, weight_wait: float = 0.2,
                        weight_time_warp: float = 1.0) -> np.ndarray:
    """Return an ``(N, k)`` int64 array: for every request the ``k`` nearest other requests.

    Proximity follows Vidal et al. (2013): distance plus penalties for the minimal waiting time and the minimal
    time warp of going from one request to the other (in either direction, the smaller of the two). Rows of the
    depot and the stations are filled with request indices too but are never used.
    """
    n = arrays.n_requests
    big_n = arrays.distance.shape[0]
    k = max(1, min(k, n - 1)) if n > 1 else 1
    out = np.zeros((big_n, k), dtype=np.int64)
    if n <= 1:
        out[:] = 1
        return out
    idx = np.arange(1, n + 1)
    d = arrays.distance[np.ix_(idx, idx)]
    t = arrays.travel_mean[np.ix_(idx, idx)]
    e = arrays.ready[idx]
    l = arrays.due[idx]
    s = arrays.service_mean[idx]
    # i -> j: earliest arrival e_i + s_i + t_ij; wait if below e_j, warp if beyond l_j
    wait = np.maximum(e[None, :] - (l[:, None] + s[:, None] + t), 0.0)
    warp = np.maximum(e[:, None] + s[:, None] + t - l[None, :], 0.0)
    prox = d + weight_wait * wait + weight_time_warp * warp
    prox = np.minimum(prox, prox.T)
    np.fill_diagonal(prox, np.inf)
    order = np.argsort(prox, axis=1, kind="stable")[:, :k]
    out[1 : n + 1] = idx[order]
    out[0] = idx[:k]
    out[n + 1 :] = idx[:k]
    return out
