"""Look before allocating: what a call will hold at its peak, and whether the machine has it.

NumPy takes memory only when an array is made, so a call too big for the machine used to fail
late and namelessly: a bare ``MemoryError``, ``OSError [Errno 12]`` from a shared mapping, or
the kernel's out-of-memory killer minutes into the run. Each entry point (``simulate``,
``sweep``, ``basins``, ``stability``, ``MLP``, ``fit``) first estimates its peak from its
arguments alone, and :func:`check_memory` refuses a call that needs more than
``MEMORY_FRACTION`` of the memory available, with a ValueError naming the call, the size and how
to make it smaller. The estimates count the arrays a call keeps and its largest temporaries;
they are meant to be a little above the truth (``tests/test_resources.py`` holds them to it).

Plain arithmetic only: nothing here imports the packages whose sizes it estimates.
"""

from __future__ import annotations

import os

MEMORY_FRACTION = 0.8  # a call may plan to use at most this share of the available memory
CHECK_ABOVE = 32 << 20  # calls needing less are never checked (reading /proc costs ~20 µs)
FLOAT = 8  # bytes of a float64 (and of an int64 / intp index)
RECORD_ROW = 100  # bytes per recorded step of a block's {step: row} lookup (a dict entry)
BLOCK_WORK = 400  # bytes per run of one block's working arrays (params, grads, state...)
RUN_RESULTS = 100  # bytes per run of the per-run results and their temporaries
SCHEDULE_TEMPORARIES = 3  # a schedule's table is built through about this many same-size arrays
MEMBER = 1024  # bytes of Python objects per population member (seed, generators...)

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def format_bytes(nbytes):
    """``nbytes`` with a binary unit and three significant digits: ``"7.28 TiB"``, ``"512 B"``."""
    value, unit = float(nbytes), 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{int(value)} B"
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f} {_UNITS[unit]}"


def available_memory():
    """Bytes that can still be allocated without swapping, or None where it cannot be known.

    Linux: ``MemAvailable`` from /proc/meminfo (free memory plus the caches the kernel can drop),
    capped by the room left under the memory limit of the process's cgroup, which is what a
    container (JupyterHub, Binder, Docker) really allows. Elsewhere: free physical pages as
    ``os.sysconf`` reports them, or failing that all physical memory.
    """
    available = _meminfo_available()
    if available is None:
        available = _sysconf_available()
    room = _cgroup_room()
    if room is not None:
        available = room if available is None else min(available, room)
    return available


def _meminfo_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _sysconf_available():
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            count, size = os.sysconf(pages), os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            continue
        if count > 0 and size > 0:
            return count * size
    return None


def _read_number(path):
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _inactive_file(path, key):
    """Page cache the kernel can drop inside the cgroup (counted in its usage)."""
    try:
        with open(path) as f:
            for line in f:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _cgroup_room():
    """Bytes left under the cgroup's memory limit (v2, then v1), or None without a limit."""
    for limit_file, usage_file, stat_file, key in (
        ("memory.max", "memory.current", "memory.stat", "inactive_file"),
        (
            "memory/memory.limit_in_bytes",
            "memory/memory.usage_in_bytes",
            "memory/memory.stat",
            "total_inactive_file",
        ),
    ):
        limit = _read_number(f"/sys/fs/cgroup/{limit_file}")
        usage = _read_number(f"/sys/fs/cgroup/{usage_file}")
        if limit is None or usage is None or limit >= 1 << 60:  # "max" or v1's "unlimited"
            continue
        usage -= _inactive_file(f"/sys/fs/cgroup/{stat_file}", key)
        return max(limit - max(usage, 0), 0)
    return None


def check_memory(parts, call, shrink):
    """Refuse a call whose estimated peak does not fit: a ValueError naming it.

    ``parts`` is the estimate in bytes, or ``{what: bytes}`` (the largest parts are named in the
    message); ``call`` shows the arguments, e.g. ``"simulate(steps=10**12, record='all')"``;
    ``shrink`` says how to make the call smaller, or is a function ``(bytes allowed, bytes
    needed) -> text`` that says it (so it can suggest a size that fits). Small calls, and
    machines whose memory cannot be read, are let through.
    """
    parts = parts if isinstance(parts, dict) else {"": parts}
    needed = sum(int(v) for v in parts.values())
    if needed < CHECK_ABOVE:
        return
    available = available_memory()
    if available is None:
        return
    allowed = MEMORY_FRACTION * available
    if needed <= allowed:
        return
    largest = sorted(((v, k) for k, v in parts.items() if k and v >= 0.1 * needed), reverse=True)
    detail = ", ".join(f"{k} {format_bytes(v)}" for v, k in largest[:3])
    advice = shrink(allowed, needed) if callable(shrink) else shrink
    raise ValueError(
        f"{call} needs about {format_bytes(needed)} of memory"
        + (f" ({detail})" if detail else "")
        + f", more than the {format_bytes(allowed)} it may use ({MEMORY_FRACTION:.0%} "
        f"of the {format_bytes(available)} available); {advice}"
    )


# -- estimates ---------------------------------------------------------------------------------


def simulate_bytes(
    n_runs,
    n_recorded,
    steps,
    *,
    n_starts,
    schedule_sizes=(),
    rule_lr_rows=0,
    block_size=8192,
    processes=1,
    copies=1,
):
    """``{what: bytes}`` that one ``simulate`` call holds at its peak.

    ``n_recorded`` steps are kept for each of ``n_runs`` runs (position and loss); a schedule
    is tabulated for every step (``schedule_sizes``: values per step of each scheduled
    hyperparameter); a metric-driven rule keeps ``rule_lr_rows`` lrs per run; each of
    ``processes`` processes works on one block of up to ``block_size`` runs at a time. The
    outputs are held ``copies`` times (a sweep keeps every cell, then stacks them into one).
    """
    block = min(n_runs, block_size)
    tables = sum(steps * (size * SCHEDULE_TEMPORARIES + 1) * FLOAT for size in schedule_sizes)
    plural = "s" if n_recorded != 1 else ""
    return {
        f"positions and losses at {n_recorded:,} recorded step{plural}": n_recorded
        * n_runs
        * 3
        * FLOAT
        * copies,
        "bookkeeping of the recorded steps": n_recorded * (FLOAT + RECORD_ROW * processes),
        "the rule's lrs": rule_lr_rows * n_runs * FLOAT * copies,
        f"schedule tables for {steps:,} steps": tables,
        "per-run results": (n_runs * RUN_RESULTS + n_starts * 2 * FLOAT) * copies,
        "working arrays": block * BLOCK_WORK * processes,
    }


def population_bytes(layers, population, *, building=True, state_arrays=None, rows=0):
    """``{what: bytes}`` of an MLP population of ``population`` members with ``layers`` sizes.

    ``building``: the weights being made (each member's, then all of them stacked);
    ``state_arrays``: when training, the optimizer's arrays per weight (SGD with momentum 1,
    Adam 2), counted with the gradients and the updated weights; ``rows``: samples going
    through at once, for the activations, their gradients and the batch itself.
    """
    params = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(layers[:-1], layers[1:]))
    weights = population * params * FLOAT
    parts = {}
    if building:
        parts[f"weights of {population:,} members, built then stacked"] = (
            2 * weights + population * MEMBER
        )
    if state_arrays is not None:
        parts["gradients, updates and optimizer state"] = weights * (2 + state_arrays)
    if rows:
        width = sum(n + 1 for n in layers)
        parts[f"activations for {rows:,} rows"] = 3 * population * rows * width * FLOAT
    return parts
