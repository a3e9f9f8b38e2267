"""The figures of lesson 2, Where you start decides where you end.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
