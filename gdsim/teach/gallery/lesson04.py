"""The figures of lesson 4, Adaptive methods: Adagrad, RMSprop, Adam.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
