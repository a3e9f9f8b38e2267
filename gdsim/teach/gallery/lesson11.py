"""The figures of lesson 11, The edge of trainability.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
