"""The figures of lesson 9, Differential learning rates and fine-tuning.

One function each, reachable as ``gdsim figure NAME``.
"""

from __future__ import annotations
