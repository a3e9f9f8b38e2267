"""The figures of lesson 10, Choosing a learning rate.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
