"""Neural networks without autograd: the MLP, ``fit`` and its callbacks."""

from .mlp import MLP

__all__ = ["MLP"]
