"""The figures of lesson 1, Gradient descent and the learning rate.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
