"""The figures of lesson 7, The LR range test (the "LR finder").

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
