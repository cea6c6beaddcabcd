"""Plots of instances, plans and schedules (PyVRP style: free functions taking ``ax=None`` and returning the Axes).

No function calls ``plt.show()``; save with ``ax.figure.savefig(path)``. Use the Agg backend for files only.

- :func:`plot_instance`: depot, requests by priority (hollow = revealed during the day), charging stations; floors
  stacked as bands with the elevator shaft for hospital instances.
- :func:`plot_routes`: a plan, one colour per AMR and one line style per trip.
- :func:`plot_gantt`: the AMR Gantt chart (driving, waiting, service, charging, turnaround) from a checker report.
- :func:`plot_soc`: state of charge per AMR over the day from a checker report.
"""

from hospital_or.plotting.maps import plot_instance, plot_routes
from hospital_or.plotting.schedule import GANTT_COLOURS, plot_gantt, plot_soc

__all__ = ["GANTT_COLOURS", "plot_gantt", "plot_instance", "plot_routes", "plot_soc"]
