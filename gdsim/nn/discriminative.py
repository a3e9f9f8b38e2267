"""Discriminative (per-layer) learning rates, fastai's ``slice(lo, hi)`` and layer groups.

Early layers of a pretrained network hold general features worth keeping; the head is new and
must move a lot. Fine-tuning therefore gives each layer (or group of layers) its own learning
rate, smaller towards the input (ULMFiT's "discriminative fine-tuning", fastai's
``lr=slice(lo, hi)``).

``fit`` takes them in one of two forms, never both:

* ``layer_lrs``: one absolute learning rate per layer. They replace a constant optimizer lr
  (a number, or one per member). The largest of them becomes the optimizer's lr (what
  ``history.lr`` records and what callbacks such as ReduceLROnPlateau see and change), and
  every layer keeps its ratio to it.
* ``lr_mult``: one multiplier per layer of whatever the optimizer's lr is — a number, a schedule
  or what a callback sets: layer ``l`` trains at ``lr(t) · lr_mult[l]`` (Caffe's ``lr_mult``;
  PyTorch's per-group lrs under a LambdaLR-style scheduler). This is how one schedule shape
  (one-cycle, cosine) is spread over the layers.

Both accept, per fastai's ``Optimizer.set_hyper`` and ``fastcore.even_mults`` (REFERENCE.md §5):

* a list or array with one value per layer (shape ``(n_layers,)``, or ``(n_layers, K)`` for one
  value per layer and member);
* ``slice(lo, hi)``: a geometric spread over the layers,
  ``η_k = lo · s^k`` with ``s = (hi/lo)^(1/(n−1))``, k = 0..n−1 (n = 1 gives ``hi``);
* ``slice(hi)`` (or a start of 0/None): ``hi/10`` for every layer but the last, ``hi`` for it;
* a number: the same for every layer.

Layer groups: :func:`layer_lrs` spreads over groups of consecutive layers
(``groups=[2, 1]``: the first two layers share the first value) and returns one value per
layer, ready for ``fit``.
"""

from __future__ import annotations

import numbers

import numpy as np

from gdsim import arguments

__all__ = ["layer_lrs", "even_mults"]


def even_mults(start, stop, n):
    """fastcore's ``even_mults``: ``n`` values from ``start`` to ``stop``, evenly spaced in log.

    ``step = (stop/start)^(1/(n−1))``, values ``start · step^k`` (exactly as fastcore rounds)."""
    if n == 1:
        return np.array([float(stop)])
    step = (stop / start) ** (1 / (n - 1))
    return np.array([start * step**k for k in range(n)], dtype=float)


def _group_sizes(groups):
    """Sizes of consecutive layer groups: an int n (n groups of one layer) or a list of sizes."""
    if isinstance(groups, numbers.Integral) and not isinstance(groups, bool):
        return [1] * arguments.check_int("groups", groups, minimum=1)
    if isinstance(groups, (str, bytes)) or not np.iterable(groups):
        raise TypeError(
            f"groups must be a number of layers or a list of group sizes, got {groups!r}"
        )
    sizes = [arguments.check_int("groups (a group size)", g, minimum=1) for g in groups]
    if not sizes:
        raise ValueError("groups must list at least one group size, got []")
    return sizes


def _spread(spec, n, name, unit="layer group"):
    """One value per group from a slice, a number or a sequence (fastai's ``set_hyper``)."""
    if isinstance(spec, slice):
        if spec.step is not None:
            raise ValueError(f"{name} as a slice takes slice(lo, hi) or slice(hi), got {spec!r}")
        hi = spec.stop
        arguments.check_positive(f"{name} slice end (hi)", hi)
        if not spec.start:
            # fastai: a falsy start means "hi/10 for the body, hi for the head"
            return np.array([hi / 10] * (n - 1) + [hi], dtype=float)
        lo = spec.start
        arguments.check_positive(f"{name} slice start (lo)", lo)
        return even_mults(float(lo), float(hi), n)
    values = np.asarray(arguments.check_nonnegative(name, spec), dtype=float)
    if values.ndim == 0:
        return np.full(n, float(values))
    if values.shape[0] != n:
        raise ValueError(
            f"{name} must give one value per {unit} ({n}), got {values.shape[0]}"
            f" (shape {values.shape})"
        )
    return values


def layer_lrs(lr, groups):
    """One learning rate per layer from ``lr`` spread over layer ``groups``.

    ``lr`` is a number, a sequence with one value per group, ``slice(lo, hi)`` (geometric
    from lo to hi, fastai's ``even_mults``) or ``slice(hi)`` (hi/10 for all groups but the last).
    ``groups`` is the number of layers (each its own group) or a list of group sizes, input
    side first: ``layer_lrs(slice(1e-5, 1e-3), [2, 1])`` gives ``[1e-5, 1e-5, 1e-3]``.
    The result has one row per layer (and a column per member if ``lr`` had one).
    """
    sizes = _group_sizes(groups)
    per_group = _spread(lr, len(sizes), "lr")
    return np.repeat(per_group, sizes, axis=0)


def resolve(model, layer_lrs=None, lr_mult=None):
    """What ``fit`` needs from its ``layer_lrs`` / ``lr_mult`` arguments: ``(kind, values)`` with
    ``values`` shaped ``(n_layers, K)``, or ``(None, None)`` when neither is given."""
    if layer_lrs is not None and lr_mult is not None:
        raise ValueError(
            "give layer_lrs (absolute learning rates) or lr_mult (multipliers of the "
            "optimizer's lr), not both"
        )
    if layer_lrs is None and lr_mult is None:
        return None, None
    kind, spec = ("layer_lrs", layer_lrs) if layer_lrs is not None else ("lr_mult", lr_mult)
    L, K = model.n_layers, model.population
    values = _spread(spec, L, kind, unit="layer")
    if values.ndim == 2 and values.shape[1] not in (1, K):
        raise ValueError(f"{kind} of shape {values.shape} must have one column per member ({K})")
    if values.ndim > 2:
        raise ValueError(f"{kind} must be (n_layers,) or (n_layers, K), got shape {values.shape}")
    values = np.broadcast_to(values.reshape(L, -1), (L, K)).astype(float)
    if kind == "layer_lrs":
        trainable = np.asarray(model.trainable)
        peak = values[trainable].max(axis=0) if trainable.any() else np.zeros(K)
        if np.any(peak <= 0):
            raise ValueError(
                "layer_lrs must give at least one trainable layer an lr > 0, got "
                f"{values[:, np.argmax(peak <= 0)].tolist()}"
            )
    return kind, values
