"""The figures of lesson 6, Loss curves tell you a lot.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
