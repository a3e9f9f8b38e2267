"""The shared argument checks: every message names the argument, the value and what is allowed."""

import numpy as np
import pytest

from gdsim import arguments


@pytest.mark.parametrize(
    "check, value, error, message",
    [
        (lambda v: arguments.check_positive("lr", v), -0.1, ValueError, "lr must be > 0, got -0.1"),
        (lambda v: arguments.check_positive("lr", v), 0.0, ValueError, "lr must be > 0, got 0"),
        (
            lambda v: arguments.check_positive("lr", v),
            [0.1, -2.0],
            ValueError,
            "lr must be > 0, got -2",
        ),
        (
            lambda v: arguments.check_positive("lr", v),
            None,
            TypeError,
            "lr must be a number, got None",
        ),
        (lambda v: arguments.check_positive("lr", v), "fast", TypeError, "lr must be a number"),
        (lambda v: arguments.check_positive("lr", v), np.nan, ValueError, "lr must not be NaN"),
        (
            lambda v: arguments.check_nonnegative("eps", v),
            -1e-8,
            ValueError,
            "eps must be >= 0, got -1e-08",
        ),
        (
            lambda v: arguments.check_in_range("momentum", v, 0, 1),
            1.0,
            ValueError,
            r"momentum must be in \[0, 1\), got 1",
        ),
        (
            lambda v: arguments.check_finite("starts", v),
            [0.0, np.inf],
            ValueError,
            "starts must be finite, got inf",
        ),
        (
            lambda v: arguments.check_int("steps", v, minimum=0),
            -1,
            ValueError,
            "steps must be >= 0, got -1",
        ),
        (
            lambda v: arguments.check_int("steps", v),
            2.5,
            TypeError,
            "steps must be an integer, got 2.5",
        ),
        (lambda v: arguments.check_int("steps", v), True, TypeError, "steps must be an integer"),
        (
            lambda v: arguments.check_choice("record", v, ["all", "final"]),
            "fnal",
            ValueError,
            "unknown record 'fnal'; did you mean 'final'",
        ),
        (
            lambda v: arguments.check_choice("record", v, ["all", "final"]),
            "zzz",
            ValueError,
            r"unknown record 'zzz'\. Allowed: 'all', 'final'",
        ),
    ],
)
def test_bad_values_get_a_clear_message(check, value, error, message):
    with pytest.raises(error, match=message):
        check(value)


@pytest.mark.parametrize(
    "check, value",
    [
        (lambda v: arguments.check_positive("lr", v), 1e-12),
        (lambda v: arguments.check_nonnegative("eps", v), 0.0),
        (lambda v: arguments.check_in_range("momentum", v, 0, 1), np.array([0.0, 0.5, 0.999])),
        (lambda v: arguments.check_int("steps", v, minimum=0), np.int64(3)),
        (lambda v: arguments.check_choice("record", v, ["all", "final"]), "all"),
    ],
)
def test_good_values_pass_through(check, value):
    result = check(value)
    assert np.all(np.asarray(result) == np.asarray(value))
