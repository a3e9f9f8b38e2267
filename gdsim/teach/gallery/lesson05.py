"""The figures of lesson 5, Learning-rate schedules.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
