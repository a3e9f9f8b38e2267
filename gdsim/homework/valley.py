"""Exercise 6, the "valley" suggestion of the learning-rate range test: :func:`check_lr_valley`,
the usual wrong forms of fastai's rule (consecutive runs, ties, the rounding, returning the
bottom or the lowest loss, ...), the loss curves that tell them apart, and the seeded cases,
checked against ``gdsim.toolkit.finder.valley``.
"""

from __future__ import annotations

import numpy as np

from gdsim import arguments
from gdsim.homework.grading import Mistake, _Exercise, _run, _Step
from gdsim.homework.sheet import Sheet
from gdsim.toolkit.finder import valley

_V_CONTIGUOUS = Mistake(
    "Your valley is the longest run of consecutive decreases.",
    "fastai's valley is the longest decreasing sequence ending at i, with gaps allowed: "
    "lds[i] = 1 + max(lds[j] for j < i with losses[j] > losses[i]), so the losses in between "
    "may go up.",
)
_V_NOT_STRICT = Mistake(
    "You count an equal loss as part of the descent (losses[j] ≥ losses[i]).",
    "The valley must fall strictly: only j with losses[j] > losses[i] count.",
)
_V_LAST = Mistake(
    "You took the last of several longest valleys.",
    "Ties go to the first: move the end only when lds[i] is strictly larger than "
    "the longest so far.",
)
_V_START = Mistake(
    "Your valley starts one point late (lds counted from 0, or start = end − lds[end] + 1).",
    "fastai counts the end point itself (lds starts at 1) and takes start = end − lds[end].",
)
_V_ROUND_ONCE = Mistake(
    "You rounded once, start + ⌊1.5·s⌋.",
    "fastai rounds each part on its own: idx = start + ⌊s⌋ + ⌊s/2⌋, with s = (end − start)/3.",
)
_V_THIRD = Mistake(
    "Your suggestion is the start of the valley's middle third, start + ⌊s⌋.",
    "fastai goes half-way down the middle third: idx = start + ⌊s⌋ + ⌊s/2⌋.",
)
_V_BOTTOM = Mistake(
    "Your suggestion is the bottom of the valley, lrs[end].",
    "The suggestion sits part-way down the slope: idx = start + ⌊s⌋ + ⌊s/2⌋, s = (end − start)/3.",
)
_V_LOWEST = Mistake(
    "Your suggestion is the lr of the lowest loss (or a tenth of it: fastai's 'minimum' rule).",
    "valley looks for the longest descent, not the lowest point: find the "
    "longest decreasing run, then go a part of the way down it.",
)
_V_NO_FALL = Mistake(
    "Where the loss never falls, your valley starts at −1, so you return lrs[−1], the last lr.",
    "fastai moves start and end only when it finds a longer valley; if every "
    "lds is 1 both stay 0 and the suggestion is lrs[0].",
)
_V_INDEX = Mistake(
    "You returned the index of the suggestion, not its learning rate.", "Return lrs[idx]."
)
_V_LOSS = Mistake(
    "You returned the loss at the suggestion, not its learning rate.", "Return lrs[idx]."
)


def _valley_index(
    losses, strict=True, first=True, contiguous=False, late_start=False, rounding="twice"
):
    """fastai's valley index with one of its steps done the usual wrong way."""
    n = len(losses)
    lds = np.ones(n, dtype=int)
    max_start = max_end = 0
    for i in range(1, n):
        if contiguous:
            falls = losses[i - 1] > losses[i] if strict else losses[i - 1] >= losses[i]
            lds[i] = lds[i - 1] + 1 if falls else 1
        else:
            higher = losses[:i] > losses[i] if strict else losses[:i] >= losses[i]
            if higher.any():
                lds[i] = lds[:i][higher].max() + 1
        if lds[i] > lds[max_end] or (not first and lds[i] == lds[max_end]):
            max_end, max_start = i, i - lds[i] + (1 if late_start else 0)
    sections = (max_end - max_start) / 3
    if rounding == "once":
        return max_start + int(1.5 * sections)
    if rounding == "third":
        return max_start + int(sections)
    if rounding == "bottom":
        return max_end
    return max_start + int(sections) + int(sections / 2)


def _valley_variants(lrs, losses):
    idx = _valley_index(losses)
    lowest = int(np.argmin(losses))
    out = [
        (_V_CONTIGUOUS, lrs[_valley_index(losses, contiguous=True)]),
        (_V_NOT_STRICT, lrs[_valley_index(losses, strict=False)]),
        (_V_LAST, lrs[_valley_index(losses, first=False)]),
        (_V_START, lrs[_valley_index(losses, late_start=True)]),
        (_V_ROUND_ONCE, lrs[_valley_index(losses, rounding="once")]),
        (_V_THIRD, lrs[_valley_index(losses, rounding="third")]),
        (_V_BOTTOM, lrs[_valley_index(losses, rounding="bottom")]),
        (_V_LOWEST, lrs[lowest]),
        (_V_LOWEST, lrs[lowest] / 10),
        (_V_INDEX, float(idx)),
        (_V_LOSS, losses[idx]),
    ]
    if np.all(np.diff(losses) >= 0):  # no loss is below an earlier one: every lds is 1
        out.append((_V_NO_FALL, lrs[-1]))
    return [(mistake, (float(value),)) for mistake, value in out]


def check_lr_valley(lr_valley, seed=0, hint=0, edge_cases=False):
    """Grade ``lr_valley(lrs, losses) -> lr``, fastai's "valley" suggestion (REFERENCE.md §5).

    ``lrs`` and ``losses`` are 1-D float arrays of the same length: the learning rates of an
    LR range test and the (smoothed) losses it recorded, already trimmed as fastai trims them.
    The rule finds the longest valley and suggests a learning rate part-way down it::

        lds[i] = 1 + max(lds[j] for j < i if losses[j] > losses[i])   (1 if there is no such j)
        end    = the first i with the largest lds[i];   start = end − lds[end]
        s      = (end − start) / 3;   idx = start + ⌊s⌋ + ⌊s/2⌋;   return lrs[idx]

    ``lds[i]`` is the length of the longest strictly decreasing sequence of losses that ends
    at ``i``; the losses between its points may go up. ``start`` and ``end`` move only when a
    longer valley turns up, so a loss that never falls gives ``lrs[0]``.

    The grader runs 6 seeded curves of 20–90 points: noisy range tests, one whose losses are
    rounded (so some are equal), two valleys of the same length, and a descent broken by a
    spike. The suggestions are compared with ``gdsim.toolkit.finder.valley``. It recognises
    these mistakes: a run of consecutive decreases instead of the longest decreasing sequence;
    equal losses counted as falling; the last longest valley instead of the first; the start
    one point late; rounding ⌊1.5·s⌋ once; the start of the middle third; the bottom of the
    valley; the lowest loss (or fastai's "minimum", a tenth of it); the index or the loss
    returned instead of the learning rate; ``lrs[−1]`` where the loss never falls.

    ``edge_cases=True`` runs 5 other curves instead: a loss that only falls, one that only
    rises, a flat one, three points, and 200 noisy points. ``hint`` (0, 1 or 2) sets how much
    the report says: the mistake by name, how to fix it, the full rule.
    """
    return _run(
        _valley_exercise(seed, arguments.check_bool("edge_cases", edge_cases)), lr_valley, hint
    )


def _range_test(rng, n, noise):
    """A range-test loss curve over n geometric lrs: flat, a descent, then the blow-up."""
    x = np.linspace(0.0, 1.0, n)
    loss = 2.0 - 1.4 / (1 + np.exp(-(x - 0.45) * 14)) + 40 * np.maximum(x - 0.82, 0) ** 2
    return loss + noise * rng.normal(size=n)


def _two_valleys(rng):
    """Two descents of the same length k, the second above the first and the climb between
    them rising, so that the longest decreasing sequences end in both valleys with length k."""
    k = int(rng.integers(7, 12))
    first = 1.0 + np.sort(rng.uniform(0.0, 0.6, size=k))[::-1]
    climb = np.sort(rng.uniform(1.7, 2.4, size=3))
    second = first + 1.5 + rng.uniform(0.05, 0.1)
    return np.concatenate([[0.5], first, climb, second, [3.5, 4.0]])


def _curves(rng, edge_cases):
    """(label, losses) of the cases."""
    if edge_cases:
        return [
            ("a loss that only falls", np.sort(rng.uniform(0.5, 2.0, size=30))[::-1]),
            ("a loss that only rises", np.sort(rng.uniform(0.5, 2.0, size=30))),
            ("a flat loss", np.full(25, 1.25)),
            ("three points", np.array([1.0, 0.8, 1.2]) + rng.uniform(0, 0.01)),
            ("200 noisy points", _range_test(rng, 200, 0.03)),
        ]
    spike = _range_test(rng, 45, 0.005)
    spike[18] += 0.6  # one bad batch in the middle of the descent
    return [
        ("", _range_test(rng, 60, 0.02)),
        ("", np.round(_range_test(rng, 90, 0.03), 2)),
        ("", _two_valleys(rng)),
        ("", spike),
        ("", _range_test(rng, 75, 0.01)),
        ("", _range_test(rng, 50, 0.04)),
    ]


def _valley_exercise(seed, edge_cases=False):
    rng = np.random.default_rng(arguments.check_seed("seed", seed))
    exercise = _Exercise(
        "check_lr_valley",
        "lr_valley",
        ("lr",),
        ("number",),
        "gdsim.toolkit.finder.valley (fastai's valley)",
        "lds[i] = 1 + max(lds[j] for j < i with losses[j] > losses[i]) (1 if none);  end = the "
        "first i with the largest lds;  start = end − lds[end] (start = end = 0 if every lds is "
        "1);  s = (end − start)/3;  return lrs[start + ⌊s⌋ + ⌊s/2⌋]",
    )
    curves = _curves(rng, edge_cases)
    for c, (label, losses) in enumerate(curves, 1):
        lrs = np.geomspace(1e-6, 1.0, len(losses)) * float(np.round(rng.uniform(1, 10), 2))
        suggestion, _ = valley(lrs, losses)
        inputs = dict(lrs=lrs, losses=np.asarray(losses, dtype=float))
        where = (
            f"edge case {c} of {len(curves)} ({label})" if label else f"case {c} of {len(curves)}"
        )
        exercise.cases.append(
            [
                _Step(
                    where,
                    inputs,
                    (suggestion,),
                    lambda inputs=inputs: _valley_variants(**inputs),
                    note=f"{len(losses)} points",
                )
            ]
        )
    return exercise


SHEET = Sheet(
    number=6,
    slug="lr_valley",
    title="The range test's valley suggestion",
    function="lr_valley",
    grader="check_lr_valley",
    intro=r"""
**What you will learn:** how fastai reads a learning rate off an LR range test: it finds the
longest valley of the loss curve and suggests a point part-way down it, where the loss falls
fast and training is still stable.

**What you will do:** write `lr_valley`, check it with `gdsim.homework.check_lr_valley`, then run
a range test on a small MLP with `gdsim.nn.lr_find` and read your suggestion off its curve.""",
    rule=r"""
## The rule (fastai's `valley`)

The range test trains for a few hundred batches while the learning rate grows geometrically,
and records the (smoothed) loss of each batch. Too small an lr and the loss does not move; too
large and it explodes; a good lr sits on the way down. fastai's `valley` finds that way down:

```
lds[i] = 1 + max(lds[j] for j < i if losses[j] > losses[i])    # 1 if there is no such j
end    = the first i with the largest lds[i]
start  = end - lds[end]          # but start = end = 0 if every lds[i] is 1
s      = (end - start) / 3
return lrs[start + int(s) + int(s / 2)]
```

* `lds[i]` is the length of the longest **strictly decreasing sequence** of losses that ends at
  `i`. The points of a valley need not be neighbours: a noisy curve has bumps, and the losses
  between the valley's points may go up. That is what makes the rule robust to noise.
* Equal losses do not count as falling, and of several longest valleys the **first** wins.
  fastai moves `start` and `end` only when it finds a strictly longer valley, which is also why
  a loss that never falls leaves both at 0.
* The suggestion is half-way down the valley's middle third: `int(s) + int(s / 2)` steps past
  `start`, each part rounded down on its own.
* The curve you get is already trimmed as fastai trims it (the first tenth and the last five
  points are dropped), so use it whole. A double loop over `i` and `j` is fast enough.

## Your function

`lr_valley(lrs, losses) -> lr`

| argument | what it is |
|---|---|
| `lrs` | a 1-D float array of increasing learning rates |
| `losses` | a 1-D float array of the same length: the loss recorded at each of them |

Return one number: the suggested learning rate, one of the `lrs`.""",
    imports=r"""
import numpy as np
import matplotlib.pyplot as plt

import gdsim
import gdsim.datasets
from gdsim.nn import MLP
from gdsim.homework import check_lr_valley""",
    signature=r'''
def lr_valley(lrs, losses):
    """fastai's "valley" suggestion from a range test's loss curve: one of the lrs."""''',
    todo=r"""
    # YOUR CODE HERE: lds for every point, the first longest valley, then the index.""",
    body=r"""
    n = len(losses)
    lds = [1] * n                             # the longest strict fall that ends at i
    for i in range(1, n):
        for j in range(i):
            if losses[j] > losses[i]:
                lds[i] = max(lds[i], lds[j] + 1)
    end = int(np.argmax(lds))                 # argmax takes the first of the longest
    start = end - lds[end] if lds[end] > 1 else 0
    s = (end - start) / 3
    return lrs[start + int(s) + int(s / 2)]""",
    see_it=r"""
## See it

A gdsim `MLP([2, 16, 3])` on 300 points of the blobs data set goes through a range test with
`gdsim.nn.lr_find`: 100 batches of SGD with momentum while the lr grows from 1e-7 to 10, the
loss smoothed as fastai smooths it. Your `lr_valley` reads the same curve, trimmed as fastai
trims it, and its suggestion (the dashed line) should land on gdsim's. In the exercise notebook
this cell waits until the grader passes.""",
    picture=r"""
X, y = gdsim.datasets.blobs(300, centers=3, cluster_std=1.5, seed=0)
model = MLP([2, 16, 3], seed=0)
result = gdsim.nn.lr_find(model, gdsim.SGD(momentum=0.9), gdsim.datasets.standardize(X), y,
                          seed=0)

lrs, losses = result.curve()                      # every batch's lr and smoothed loss
lrs, losses = lrs[100 // 10:-5], losses[100 // 10:-5]   # fastai's trim (num_it = 100)
yours = lr_valley(lrs, losses)

drawn = result.plot(suggestions=["valley"])
drawn.ax.axvline(yours, color="crimson", ls="--", lw=1,
                 label=f"your lr_valley: {yours:.2g}")
drawn.ax.legend()
plt.show()
print(f"your suggestion: {yours:.4g}, gdsim's: {result.valley:.4g}")""",
    picture_check=r"""
assert yours == result.valley""",
    things_to_try=r"""
## Things to try

1. Replace the strict `>` with `>=` in a copy of your function and run it on
   `np.round(losses, 2)`. Where does the suggestion move, and why?
2. Print `result.slide`, `result.minimum` and `result.steep`, fastai's other suggestions, and
   mark them on the plot (`result.plot()` draws them all). Which one would you train with?
3. Train the model with `gdsim.nn.fit` for 20 epochs at your suggestion, at ten times it and at
   a tenth of it (`gdsim.SGD(lr=..., momentum=0.9)`). Which final loss is lowest?""",
)
