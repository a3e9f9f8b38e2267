"""The figures of lesson 8, Cyclical learning rates, SGDR and snapshot ensembles.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
