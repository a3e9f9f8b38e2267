"""The figures of lesson 3, Momentum and Nesterov.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
