"""PyTorch as an oracle on every machine: its answers are recorded once in
``tests/reference/torch_oracle.npz`` (by ``python tests/reference/record_torch.py``).

A test asks ``torch_reference(key, compute)`` for torch's answer to one case. ``compute(torch)``
computes that answer with the torch module and returns an array, or a dict of arrays (numbers, or
strings for values that are not numbers). The test always gets the *record*, so gdsim is compared
with the same numbers everywhere; where torch imports, ``compute(torch)`` also runs and must equal
the record to ``rtol`` (1e-12 of each value, and of the entry's largest value as an absolute
floor: another CPU's torch kernels may differ in the last bits), so a stale record fails loudly.
A key that was never recorded fails too: re-record after adding or changing an oracle case.
``inputs`` (arrays the case feeds torch: starts, data, initial weights) are recorded with the
answer and must still be what the test builds, so a changed input reads as a stale record, not
as a gdsim bug.

The recording script runs the test files that use this module with ``start_recording()`` called
first: every ``torch_reference`` call then computes with torch and keeps the answer, and the script
saves exactly the answers the tests asked for.
"""

import functools
import importlib
from pathlib import Path

import numpy as np
import pytest

RECORD = Path(__file__).parent / "reference" / "torch_oracle.npz"
SCRIPT = "tests/reference/record_torch.py"
META = ("__torch_version__", "__numpy_version__", "__script__")
FIELD = "::"  # "key::name" holds entry ``name`` of a dict answer
INPUT = "input:"  # "key::input:name" holds input ``name``
HOW = f"re-record with `python {SCRIPT}` (torch installed)"

_recording = None  # a dict while the recording script runs the tests


def start_recording():
    global _recording
    _recording = {}


def stop_recording():
    global _recording
    answers, _recording = _recording, None
    return answers


@functools.cache
def records():
    """Every stored array by its npz name (``key`` or ``key::name``), metadata included."""
    if not RECORD.exists():
        pytest.fail(f"{RECORD} is missing; {HOW}")
    with np.load(RECORD, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def recorded_keys(prefix=""):
    """The keys of the recorded cases that start with ``prefix`` (while recording: those recorded so
    far, so a test of this set runs after the cases it lists, as in file order)."""
    names = _recording if _recording is not None else records()
    return {name.split(FIELD)[0] for name in names if name.startswith(prefix) and name not in META}


def recorded_torch_version():
    return str(records()["__torch_version__"])


@functools.cache
def live_torch():
    """The torch module, or None where it is not installed."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


def as_record(answer, key):
    """``compute``'s answer as it is stored: {"": array} or {name: array}, float64 or str."""
    entries = answer if isinstance(answer, dict) else {"": answer}
    stored = {}
    for name, value in entries.items():
        if FIELD in name:
            raise ValueError(f"{key}: entry names may not contain {FIELD!r}, got {name!r}")
        value = np.asarray(value.detach().numpy() if hasattr(value, "detach") else value)
        if value.dtype.kind in "biuf":
            value = value.astype(np.float64)
        elif value.dtype.kind != "U":
            raise TypeError(
                f"{key}: {name or 'the answer'} must be numbers or strings, got {value.dtype}"
            )
        stored[name] = value
    return stored


def npz_name(key, name):
    return f"{key}{FIELD}{name}" if name else key


def lookup(key):
    stored = records()
    prefix = key + FIELD
    entries = {
        name[len(prefix) :]: value for name, value in stored.items() if name.startswith(prefix)
    }
    if key in stored:
        entries[""] = stored[key]
    if not entries:
        pytest.fail(f"no torch record for {key!r} in {RECORD.name}; {HOW}")
    return entries


def unpack(entries):
    answer = {name: value for name, value in entries.items() if not name.startswith(INPUT)}
    return answer[""] if list(answer) == [""] else answer


def check_inputs(inputs, entries, key):
    recorded = {
        name[len(INPUT) :]: value for name, value in entries.items() if name.startswith(INPUT)
    }
    where = f"the inputs of {key!r} are not those it was recorded with; {HOW}"
    assert sorted(inputs) == sorted(recorded), f"{where}: {sorted(inputs)} != {sorted(recorded)}"
    for name, value in as_record(inputs, key).items():
        expected = recorded[name]
        assert value.shape == expected.shape, f"{where}: {name} {value.shape} != {expected.shape}"
        np.testing.assert_allclose(value, expected, rtol=1e-14, atol=0, err_msg=f"{where}: {name}")


def assert_equal_records(live, recorded, key, rtol, atol):
    where = (
        f"live torch {live_torch().__version__} differs from the record of {key!r} "
        f"(made with torch {recorded_torch_version()}); {HOW}"
    )
    assert sorted(live) == sorted(recorded), f"{where}: {sorted(live)} != {sorted(recorded)}"
    for name, value in live.items():
        expected, label = recorded[name], f"{where}: {name or 'the answer'}"
        assert value.shape == expected.shape and value.dtype.kind == expected.dtype.kind, (
            f"{label} is {value.dtype}{value.shape}, recorded {expected.dtype}{expected.shape}"
        )
        if value.dtype.kind == "U":
            np.testing.assert_array_equal(value, expected, err_msg=label)
        else:
            floor = rtol * np.abs(expected).max(initial=0.0) if atol is None else atol
            np.testing.assert_allclose(value, expected, rtol=rtol, atol=floor, err_msg=label)


def torch_reference(key, compute, *, inputs=None, rtol=1e-12, atol=None):
    """torch's recorded answer for ``key``; where torch imports, also checks that ``compute(torch)``
    still equals it (``atol=None``: ``rtol`` times the entry's largest magnitude). Returns an array,
    or a dict of arrays when ``compute`` returns a dict."""
    inputs = inputs or {}
    if _recording is not None:
        torch = live_torch()
        if torch is None:
            raise RuntimeError("recording the torch oracle needs torch installed")
        if key in _recording:
            raise ValueError(f"two oracle cases share the key {key!r}")
        answer = as_record(compute(torch), key)
        if any(name.startswith(INPUT) for name in answer):
            raise ValueError(f"{key}: answer entries may not start with {INPUT!r}")
        given = as_record(inputs, key)
        _recording[key] = {**answer, **{INPUT + name: value for name, value in given.items()}}
        return unpack(_recording[key])
    recorded = lookup(key)
    check_inputs(inputs, recorded, key)
    if live_torch() is not None:
        answer = {name: v for name, v in recorded.items() if not name.startswith(INPUT)}
        assert_equal_records(as_record(compute(live_torch()), key), answer, key, rtol, atol)
    return unpack(recorded)
