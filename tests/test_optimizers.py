"""Tests for gdsim.optimizers: whole trajectories against an independent scalar reference
(REFERENCE.md §1 for PyTorch, §2.1 for Keras 3), the hand-computed numbers of §8, PyTorch itself
as an oracle (recorded in tests/reference/, checked against live torch where installed), defaults,
per-run arrays and schedules, purity, and bad input.

Every optimizer configuration lives in CONFIGS: adding an entry covers a new optimizer or option
in the reference, oracle, purity and sweep tests.
"""

import copy
import inspect
import math
from dataclasses import dataclass, field

import numpy as np
import pytest
from torch_oracle import recorded_keys, torch_reference

import gdsim
from gdsim import optimizers, schedules, surfaces

STEPS = 100
RTOL = 1e-10

# --------------------------------------------------------------------------------------------
# Defaults, copied from REFERENCE.md §1 (PyTorch 2.13) and §2.1 (Keras 3), not from gdsim.
# gdsim-only options under the Keras convention (dampening, lr_decay) default to 0.

TORCH_DEFAULTS = {
    "SGD": dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
    "Adagrad": dict(
        lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10
    ),
    "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False),
    "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False),
    "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False),
}
KERAS_DEFAULTS = {
    "SGD": dict(lr=1e-2, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
    "Adagrad": dict(
        lr=1e-3, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.1, eps=1e-7
    ),
    "RMSprop": dict(lr=1e-3, alpha=0.9, eps=1e-7, weight_decay=0.0, momentum=0.0, centered=False),
    "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.0, amsgrad=False),
    "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-7, weight_decay=4e-3, amsgrad=False),
}
DEFAULTS = {"pytorch": TORCH_DEFAULTS, "keras": KERAS_DEFAULTS}


# --------------------------------------------------------------------------------------------
# The reference: REFERENCE.md pseudo-code for ONE coordinate, in Python floats and `math`.
# Each function takes θ, g, this coordinate's state dict s, the 1-based step t and the
# hyperparameters of this step, and returns the new θ.


def torch_sgd(theta, g, s, t, hp):
    lr, mu, tau, wd = hp["lr"], hp["momentum"], hp["dampening"], hp["weight_decay"]
    if wd != 0:
        g = g + wd * theta
    if mu != 0:
        s["b"] = g if "b" not in s else mu * s["b"] + (1 - tau) * g
        d = g + mu * s["b"] if hp["nesterov"] else s["b"]
    else:
        d = g
    return theta - lr * d


def torch_adagrad(theta, g, s, t, hp):
    g = g + hp["weight_decay"] * theta
    lr_t = hp["lr"] / (1 + (t - 1) * hp["lr_decay"])
    s["s"] = s.get("s", hp["initial_accumulator_value"]) + g * g
    return theta - lr_t * g / (math.sqrt(s["s"]) + hp["eps"])


def torch_rmsprop(theta, g, s, t, hp):
    a, eps, mu = hp["alpha"], hp["eps"], hp["momentum"]
    g = g + hp["weight_decay"] * theta
    s["v"] = a * s.get("v", 0.0) + (1 - a) * g * g
    if hp["centered"]:
        s["gbar"] = a * s.get("gbar", 0.0) + (1 - a) * g
        D = math.sqrt(s["v"] - s["gbar"] ** 2) + eps
    else:
        D = math.sqrt(s["v"]) + eps
    if mu > 0:
        s["b"] = mu * s.get("b", 0.0) + g / D
        return theta - hp["lr"] * s["b"]
    return theta - hp["lr"] * g / D


def torch_adam(theta, g, s, t, hp, decoupled=False):
    lr, (b1, b2), eps, wd = hp["lr"], hp["betas"], hp["eps"], hp["weight_decay"]
    if wd != 0:
        if decoupled:
            theta = theta * (1 - lr * wd)
        else:
            g = g + wd * theta
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    v = s["v"]
    if hp["amsgrad"]:
        s["vmax"] = v = max(s.get("vmax", 0.0), s["v"])
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    return theta - (lr / bc1) * s["m"] / (math.sqrt(v) / math.sqrt(bc2) + eps)


def torch_adamw(theta, g, s, t, hp):
    return torch_adam(theta, g, s, t, hp, decoupled=True)


def keras_decay(theta, hp):
    """Keras 3 decoupled weight decay on every optimizer: θ ← θ − θ·λ·η."""
    return theta - theta * hp["weight_decay"] * hp["lr"]


def keras_sgd(theta, g, s, t, hp):
    lr, mu = hp["lr"], hp["momentum"]
    theta = keras_decay(theta, hp)
    if mu == 0:
        return theta - lr * g
    s["m"] = mu * s.get("m", 0.0) - lr * g
    return theta + (mu * s["m"] - lr * g if hp["nesterov"] else s["m"])


def keras_adagrad(theta, g, s, t, hp):
    theta = keras_decay(theta, hp)
    s["a"] = s.get("a", hp["initial_accumulator_value"]) + g * g
    return theta - hp["lr"] * g / math.sqrt(s["a"] + hp["eps"])


def keras_rmsprop(theta, g, s, t, hp):
    rho, mu = hp["alpha"], hp["momentum"]
    theta = keras_decay(theta, hp)
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
    if hp["centered"]:
        s["gbar"] = rho * s.get("gbar", 0.0) + (1 - rho) * g
        D = s["v"] - s["gbar"] ** 2 + hp["eps"]
    else:
        D = s["v"] + hp["eps"]
    inc = hp["lr"] * g / math.sqrt(D)
    if mu > 0:
        s["M"] = mu * s.get("M", 0.0) + inc
        return theta - s["M"]
    return theta - inc


def keras_adam(theta, g, s, t, hp):
    (b1, b2), eps = hp["betas"], hp["eps"]
    theta = keras_decay(theta, hp)
    alpha = hp["lr"] * math.sqrt(1 - b2**t) / (1 - b1**t)
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
    s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - b2)
    v = s["v"]
    if hp["amsgrad"]:
        s["vhat"] = v = max(s.get("vhat", 0.0), s["v"])
    return theta - s["m"] * alpha / (math.sqrt(v) + eps)


REFERENCE_STEP = {
    ("pytorch", "SGD"): torch_sgd,
    ("pytorch", "Adagrad"): torch_adagrad,
    ("pytorch", "RMSprop"): torch_rmsprop,
    ("pytorch", "Adam"): torch_adam,
    ("pytorch", "AdamW"): torch_adamw,
    ("keras", "SGD"): keras_sgd,
    ("keras", "Adagrad"): keras_adagrad,
    ("keras", "RMSprop"): keras_rmsprop,
    ("keras", "Adam"): keras_adam,
    ("keras", "AdamW"): keras_adam,  # Keras AdamW is Adam with a default weight_decay
}


def reference_trajectory(config, surface, starts, lr_at, steps=STEPS):
    """positions (steps+1, n, 2), one start and one coordinate at a time."""
    step = REFERENCE_STEP[config.convention, config.algo]
    thetas = [[float(v) for v in start] for start in starts]
    states = [[{}, {}] for _ in starts]
    out = [copy.deepcopy(thetas)]
    for e in range(steps):
        hp = {**config.reference_hp, "lr": lr_at(e)}
        for i, theta in enumerate(thetas):
            g = [float(v) for v in surface.grad(np.array(theta))]
            thetas[i] = [step(theta[c], g[c], states[i][c], e + 1, hp) for c in range(2)]
        out.append(copy.deepcopy(thetas))
    return np.array(out)


# --------------------------------------------------------------------------------------------
# The registry of optimizer configurations


@dataclass(frozen=True)
class Config:
    id: str
    algo: str  # gdsim / torch.optim class name
    kwargs: dict = field(default_factory=dict)
    convention: str = "pytorch"
    lr: tuple = (1e-2, 1e-2)  # on himmelblau, on rosenbrock

    def make(self, lr=None, **changes):
        kwargs = {**self.kwargs, **changes}
        if lr is not None:
            kwargs["lr"] = lr
        return getattr(gdsim, self.algo)(convention=self.convention, **kwargs)

    @property
    def reference_hp(self):
        return {**DEFAULTS[self.convention][self.algo], **self.kwargs}

    def lr_for(self, surface_name):
        return self.lr[SURFACES.index(surface_name)]


SGD_LR = (1e-3, 1e-4)
CONFIGS = [
    Config("sgd", "SGD", lr=SGD_LR),
    Config("sgd-momentum", "SGD", dict(momentum=0.9), lr=SGD_LR),
    Config(
        "sgd-dampening-wd", "SGD", dict(momentum=0.9, dampening=0.3, weight_decay=0.05), lr=SGD_LR
    ),
    Config("sgd-nesterov", "SGD", dict(momentum=0.9, nesterov=True), lr=SGD_LR),
    Config("adagrad", "Adagrad", lr=(0.1, 0.05)),
    Config(
        "adagrad-options",
        "Adagrad",
        dict(lr_decay=0.01, initial_accumulator_value=0.5, weight_decay=0.05),
        lr=(0.1, 0.05),
    ),
    Config(
        "rmsprop", "RMSprop", lr=(1e-2, 1e-3)
    ),  # 1e-2 on rosenbrock amplifies rounding ~1.6x a step
    Config(
        "rmsprop-centered-momentum-wd",
        "RMSprop",
        dict(centered=True, momentum=0.5, weight_decay=0.05),
        lr=(1e-3, 1e-3),
    ),
    Config("adam", "Adam"),
    Config("adam-amsgrad-wd", "Adam", dict(amsgrad=True, weight_decay=0.05)),
    Config("adam-eps", "Adam", dict(eps=0.1)),
    Config("adam-betas", "Adam", dict(betas=(0.8, 0.99))),
    Config("adamw", "AdamW"),
    Config("adamw-amsgrad", "AdamW", dict(weight_decay=0.1, amsgrad=True)),
    Config("keras-sgd-wd", "SGD", dict(weight_decay=0.05), "keras", SGD_LR),
    Config("keras-sgd-momentum", "SGD", dict(momentum=0.9), "keras", SGD_LR),
    Config("keras-sgd-nesterov", "SGD", dict(momentum=0.9, nesterov=True), "keras", SGD_LR),
    Config("keras-adagrad", "Adagrad", {}, "keras", (0.1, 0.05)),
    Config("keras-rmsprop", "RMSprop", {}, "keras"),
    Config(
        "keras-rmsprop-centered-momentum-wd",
        "RMSprop",
        dict(centered=True, momentum=0.5, weight_decay=0.05),
        "keras",
        (1e-3, 1e-3),
    ),
    Config("keras-adam", "Adam", {}, "keras"),
    Config("keras-adam-amsgrad", "Adam", dict(amsgrad=True), "keras"),
    Config("keras-adamw", "AdamW", {}, "keras"),
]
TORCH_CONFIGS = [c for c in CONFIGS if c.convention == "pytorch"]
SURFACES = ("himmelblau", "rosenbrock")

# lr kinds: the gdsim schedule, and the same closed form in plain Python
LR_KINDS = {
    "constant": (lambda lr: lr, lambda lr, e: lr),
    "exponential": (lambda lr: schedules.exponential(lr, gamma=0.97), lambda lr, e: lr * 0.97**e),
    "step": (
        lambda lr: schedules.step(lr, step_size=30, gamma=0.3),
        lambda lr, e: lr * 0.3 ** (e // 30),
    ),
}
# ... and the matching torch scheduler
TORCH_SCHEDULERS = {
    "constant": None,
    "exponential": lambda torch, opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.97),
    "step": lambda torch, opt: torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.3),
}


def random_starts(surface_name, n=5, seed=0):
    """Starts inside a box where the configured learning rates stay stable."""
    box = {"himmelblau": ((-4.5, 4.5), (-4.5, 4.5)), "rosenbrock": ((-1.5, 1.5), (-1.0, 2.0))}[
        surface_name
    ]
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(*box[0], n), rng.uniform(*box[1], n)])


def assert_close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * 1e-2)


def ids(configs):
    return [c.id for c in configs]


# --------------------------------------------------------------------------------------------
# 1. Whole trajectories equal the REFERENCE formulas


@pytest.mark.parametrize("lr_kind", LR_KINDS)
@pytest.mark.parametrize("surface_name", SURFACES)
@pytest.mark.parametrize("config", CONFIGS, ids=ids(CONFIGS))
def test_trajectory_matches_reference(config, surface_name, lr_kind):
    surface = surfaces.get(surface_name)
    starts = random_starts(surface_name)
    lr = config.lr_for(surface_name)
    make_lr, lr_formula = LR_KINDS[lr_kind]
    run = gdsim.simulate(surface, config.make(make_lr(lr)), starts, STEPS)
    expected = reference_trajectory(config, surface, starts, lambda e: lr_formula(lr, e))
    assert np.isfinite(expected).all() and not run.diverged.any()
    assert_close(run.positions, expected)
    assert np.abs(expected[-1] - expected[0]).max() > 1e-2  # the runs really moved
    assert_close(run.lrs, [lr_formula(lr, e) for e in range(STEPS)], rtol=1e-14)


@pytest.mark.parametrize("config", [c for c in CONFIGS if c.algo != "Adagrad"], ids=lambda c: c.id)
def test_scheduled_momentum_and_betas_match_reference(config):
    """A schedule on a hyperparameter other than lr: momentum / beta1 change every step."""
    wave = schedules.function(lambda e: 0.5 + 0.4 * np.cos(e / 7.0))
    surface, starts, lr = surfaces.get("himmelblau"), random_starts("himmelblau"), config.lr[0]
    name = "beta1" if "beta1" in config.make().hyperparameters() else "momentum"
    opt = config.make(lr).with_hyperparameters(**{name: wave})
    step = REFERENCE_STEP[config.convention, config.algo]
    thetas = [list(map(float, s)) for s in starts]
    states = [[{}, {}] for _ in starts]
    run = gdsim.simulate(surface, opt, starts, 30)
    for e in range(30):
        hp = {**config.reference_hp, "lr": lr}
        w = 0.5 + 0.4 * math.cos(e / 7.0)
        if "betas" in hp:
            hp["betas"] = (w, hp["betas"][1])
        else:
            hp["momentum"] = w
        for i, theta in enumerate(thetas):
            g = [float(v) for v in surface.grad(np.array(theta))]
            thetas[i] = [step(theta[c], g[c], states[i][c], e + 1, hp) for c in range(2)]
        assert_close(run.positions[e + 1], thetas)


# --------------------------------------------------------------------------------------------
# 2. The hand-computed numbers of REFERENCE.md §8, through update() directly


def drive(opt, grads, theta0=1.0, explicit_hp=False):
    """Iterates θ1, θ2, ... of ``opt`` from θ0 on the given gradients (one-parameter problem)."""
    params = np.array([theta0])
    state = opt.init(params)
    out = []
    for e, g in enumerate(grads):
        hp = opt.at(e) if explicit_hp else None
        params, state = opt.update(params, np.array([g]), state, hp)
        out.append(float(params[0]))
    return np.array(out)


def test_section8_adagrad():
    grads = [0.5, -0.2, 0.1]
    np.testing.assert_allclose(
        drive(gdsim.Adagrad(lr=0.1), grads), [0.9, 0.93713907, 0.91888165], atol=5e-9
    )
    np.testing.assert_allclose(
        drive(gdsim.Adagrad(lr=0.1, convention="keras"), grads),
        [0.91548459, 0.94751021, 0.93169883],
        atol=5e-9,
    )
    # torch with Keras's accumulator: only ε's place differs now (≈1e-8)
    torch_acc = drive(gdsim.Adagrad(lr=0.1, initial_accumulator_value=0.1), grads)
    assert abs(torch_acc[0] - 0.91548457) < 5e-9


def test_section8_rmsprop_first_step():
    assert drive(gdsim.RMSprop(lr=0.01), [0.5])[0] == pytest.approx(0.90000002, abs=5e-9)
    assert drive(gdsim.RMSprop(lr=0.01, convention="keras"), [0.5])[0] == pytest.approx(
        0.96837729, abs=5e-9
    )
    assert drive(gdsim.RMSprop(lr=0.01, alpha=0.9), [0.5])[0] == pytest.approx(0.96837723, abs=5e-9)


@pytest.mark.parametrize("explicit_hp", [False, True])
def test_section8_adam_epsilon_hat(explicit_hp):
    def step_sizes(convention):
        opt = gdsim.Adam(lr=1e-3, eps=1e-8, convention=convention)
        iterates = drive(opt, [1e-6] * 3, theta0=0.0, explicit_hp=explicit_hp)
        return -np.diff(np.concatenate([[0.0], iterates]))

    np.testing.assert_allclose(step_sizes("pytorch"), [9.900990e-4] * 3, rtol=5e-7)
    np.testing.assert_allclose(
        step_sizes("keras"), [7.597469e-4, 8.172187e-4, 8.455476e-4], rtol=5e-7
    )


@pytest.mark.parametrize("explicit_hp", [False, True])
def test_section8_momentum_with_changing_lr(explicit_hp):
    """g = 1, θ0 = 1, momentum 0.9, lr 0.1 for three steps then 0.01 (the lr of step e is
    schedule(e))."""
    lr = schedules.step(0.1, step_size=3, gamma=0.1)
    torch_like = drive(gdsim.SGD(lr=lr, momentum=0.9), [1.0] * 6, explicit_hp=explicit_hp)
    keras_like = drive(
        gdsim.SGD(lr=lr, momentum=0.9, convention="keras"), [1.0] * 6, explicit_hp=explicit_hp
    )
    np.testing.assert_allclose(torch_like[:3], [0.9, 0.71, 0.439], atol=1e-14)
    np.testing.assert_allclose(keras_like[:3], [0.9, 0.71, 0.439], atol=1e-14)
    # REFERENCE quotes six decimals
    np.testing.assert_array_equal(np.round(torch_like[3:], 6), [0.40461, 0.363659, 0.316803])
    np.testing.assert_array_equal(np.round(keras_like[3:], 6), [0.1851, -0.05341, -0.278069])


def test_momentum_conventions_agree_while_lr_is_constant():
    surface, starts = surfaces.get("himmelblau"), random_starts("himmelblau")
    for nesterov in (False, True):
        runs = [
            gdsim.simulate(
                surface,
                gdsim.SGD(lr=1e-3, momentum=0.9, nesterov=nesterov, convention=c),
                starts,
                STEPS,
            )
            for c in ("pytorch", "keras")
        ]
        assert_close(runs[0].positions, runs[1].positions, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# 3. PyTorch as an oracle


def trajectory_key(config, surface_name, lr_kind):
    return f"optimizers/trajectory/{config.id}/{surface_name}/{lr_kind}"


def torch_trajectory(key, config, surface, starts, lr, lr_kind):
    def compute(torch):
        p = torch.tensor(starts, dtype=torch.float64)
        opt = getattr(torch.optim, config.algo)([p], lr=lr, **config.kwargs)
        make_scheduler = TORCH_SCHEDULERS[lr_kind]
        scheduler = make_scheduler(torch, opt) if make_scheduler else None
        out = [p.detach().numpy().copy()]
        for _ in range(STEPS):
            p.grad = torch.from_numpy(surface.grad(p.detach().numpy().copy()))
            opt.step()
            if scheduler:
                scheduler.step()
            out.append(p.detach().numpy().copy())
        return np.array(out)

    return torch_reference(key, compute, inputs={"starts": starts})


@pytest.mark.parametrize("lr_kind", LR_KINDS)
@pytest.mark.parametrize("surface_name", SURFACES)
@pytest.mark.parametrize("config", TORCH_CONFIGS, ids=ids(TORCH_CONFIGS))
def test_trajectory_matches_torch(config, surface_name, lr_kind):
    surface, starts = surfaces.get(surface_name), random_starts(surface_name, seed=1)
    lr = config.lr_for(surface_name)
    expected = torch_trajectory(
        trajectory_key(config, surface_name, lr_kind), config, surface, starts, lr, lr_kind
    )
    run = gdsim.simulate(surface, config.make(LR_KINDS[lr_kind][0](lr)), starts, STEPS)
    assert np.isfinite(expected).all()
    assert_close(run.positions, expected)


# --------------------------------------------------------------------------------------------
# 4. Defaults


@pytest.mark.parametrize("convention", ["pytorch", "keras"])
@pytest.mark.parametrize("algo", list(TORCH_DEFAULTS))
def test_defaults(algo, convention):
    opt = getattr(gdsim, algo)(convention=convention)
    for name, expected in DEFAULTS[convention][algo].items():
        assert getattr(opt, name) == expected, name
    assert opt.convention == convention


def test_default_convention_is_pytorch():
    assert gdsim.Adam().eps == 1e-8 and gdsim.Adam().convention == "pytorch"


def torch_signature_defaults(algo):
    """torch.optim.<algo>'s parameters and their defaults: numbers (tuples as vectors) as float64
    arrays, anything else (None, no default) as its repr."""

    def compute(torch):
        defaults = {}
        for name, parameter in inspect.signature(getattr(torch.optim, algo)).parameters.items():
            value = parameter.default
            numbers = value if isinstance(value, tuple) else (value,)
            is_number = all(isinstance(v, (bool, int, float)) for v in numbers)
            defaults[name] = np.array(value, dtype=float) if is_number else np.array(repr(value))
        return defaults

    return torch_reference(f"optimizers/defaults/{algo}", compute, rtol=0, atol=0)


def torch_default(recorded):
    """A recorded default back as Python: a float, a tuple of floats, or the repr string."""
    if recorded.dtype.kind == "U":
        return str(recorded)
    return tuple(recorded.tolist()) if recorded.ndim else recorded.item()


@pytest.mark.parametrize("algo", list(TORCH_DEFAULTS))
def test_defaults_equal_torch_signature(algo):
    torch_params = torch_signature_defaults(algo)
    opt = getattr(gdsim, algo)()
    shared = [
        name for name in inspect.signature(getattr(gdsim, algo)).parameters if name in torch_params
    ]
    assert {"lr", "weight_decay"} <= set(shared)
    for name in shared:
        default = torch_default(torch_params[name])
        assert default != repr(inspect.Parameter.empty), name
        ours = getattr(opt, name)
        assert (repr(ours) if isinstance(default, str) else ours) == default, name


def test_every_torch_record_is_used():
    expected = {trajectory_key(c, s, k) for c in TORCH_CONFIGS for s in SURFACES for k in LR_KINDS}
    expected |= {f"optimizers/defaults/{algo}" for algo in TORCH_DEFAULTS}
    assert recorded_keys("optimizers/") == expected


def test_at_resolves_every_hyperparameter():
    opt = gdsim.Adam(lr=schedules.exponential(0.1, gamma=0.5), betas=(0.8, 0.99))
    assert opt.at(2) == {"lr": 0.025, "beta1": 0.8, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.0}
    assert opt.hyperparameters()["lr"] is opt.lr
    assert set(gdsim.SGD().at(0)) == {"lr", "momentum", "dampening", "weight_decay"}


# --------------------------------------------------------------------------------------------
# 5. Per-run arrays and schedules: a batch equals its separate runs, bit for bit

SWEEP_CONFIGS = [
    c
    for c in CONFIGS
    if c.id
    in (
        "sgd-dampening-wd",
        "adagrad-options",
        "rmsprop-centered-momentum-wd",
        "adam-amsgrad-wd",
        "adamw",
        "keras-sgd-nesterov",
        "keras-adagrad",
        "keras-rmsprop-centered-momentum-wd",
        "keras-adam",
    )
]


def sweep_values(value):
    """Three valid values around a hyperparameter's value."""
    return np.array([0.0, 0.01, 0.05]) if value == 0 else value * np.array([1.0, 0.5, 0.8])


def sweep_cases():
    for config in SWEEP_CONFIGS:
        for name, value in config.make(config.lr[0]).hyperparameters().items():
            if name == "dampening" and config.kwargs.get("nesterov"):
                continue  # Nesterov needs dampening = 0
            yield pytest.param(config, name, sweep_values(value), id=f"{config.id}-{name}")


@pytest.mark.parametrize("config, name, values", list(sweep_cases()))
def test_per_run_array_equals_separate_runs(config, name, values):
    surface, starts = surfaces.get("himmelblau"), random_starts("himmelblau", n=4)
    base = config.make(config.lr[0])
    run = gdsim.simulate(surface, base.with_hyperparameters(**{name: values[:, None]}), starts, 40)
    assert run.positions.shape == (41, 3, 4, 2)
    for i, value in enumerate(values):
        single = gdsim.simulate(surface, base.with_hyperparameters(**{name: value}), starts, 40)
        np.testing.assert_array_equal(run.positions[:, i], single.positions)
    assert not np.array_equal(run.positions[:, 0], run.positions[:, 1])


def test_constructor_arrays_one_per_start():
    surface, starts = surfaces.get("himmelblau"), random_starts("himmelblau", n=3)
    lrs, beta1s = np.array([1e-2, 3e-2, 5e-2]), np.array([0.5, 0.8, 0.9])
    run = gdsim.simulate(surface, gdsim.Adam(lr=lrs, betas=(beta1s, 0.99)), starts, 50)
    assert run.positions.shape == (51, 3, 2) and run.lrs.shape == (50, 3)
    for i in range(3):
        single = gdsim.simulate(
            surface, gdsim.Adam(lr=lrs[i], betas=(beta1s[i], 0.99)), starts[i : i + 1], 50
        )
        np.testing.assert_array_equal(run.positions[:, i], single.positions[:, 0])


@pytest.mark.parametrize("convention", ["pytorch", "keras"])
def test_zero_momentum_in_a_sweep_behaves_like_plain_sgd(convention):
    """PyTorch skips the buffer (and so the dampening) when momentum is 0: run by run too."""
    surface, starts = surfaces.get("himmelblau"), random_starts("himmelblau", n=2)
    kw = dict(lr=1e-3, dampening=0.5, convention=convention)
    run = gdsim.simulate(
        surface, gdsim.SGD(momentum=np.array([0.0, 0.9])[:, None], **kw), starts, 30
    )
    for i, momentum in enumerate([0.0, 0.9]):
        single = gdsim.simulate(surface, gdsim.SGD(momentum=momentum, **kw), starts, 30)
        np.testing.assert_array_equal(run.positions[:, i], single.positions)


def test_schedule_with_array_parameters_equals_separate_schedules():
    surface, starts = surfaces.get("rosenbrock"), random_starts("rosenbrock", n=4)
    lrs, gammas = np.array([1e-4, 2e-4, 5e-5])[:, None], np.array([0.95, 0.99])[:, None, None]
    opt = gdsim.SGD(lr=schedules.exponential(lrs, gamma=gammas), momentum=0.9)
    run = gdsim.simulate(surface, opt, starts, 60)
    assert run.positions.shape == (61, 2, 3, 4, 2)
    assert run.lrs.shape == (60, 2, 3, 4)
    for j, gamma in enumerate(gammas.ravel()):
        for i, lr in enumerate(lrs.ravel()):
            single = gdsim.simulate(
                surface,
                gdsim.SGD(lr=schedules.exponential(lr, gamma=gamma), momentum=0.9),
                starts,
                60,
            )
            np.testing.assert_array_equal(run.positions[:, j, i], single.positions)
            np.testing.assert_array_equal(run.lrs[:, j, i, 0], single.lrs)


def test_at_with_array_schedule():
    opt = gdsim.SGD(lr=schedules.exponential(np.array([0.1, 0.2]), gamma=0.5))
    np.testing.assert_array_equal(opt.at(1)["lr"], [0.05, 0.1])


def test_with_hyperparameters():
    opt = gdsim.RMSprop(lr=0.01, momentum=0.5, centered=True, convention="keras")
    lr = schedules.step(0.02, step_size=10)
    changed = opt.with_hyperparameters(lr=lr, alpha=0.8)
    assert (changed.lr, changed.alpha, changed.momentum) == (lr, 0.8, 0.5)
    assert changed.centered and changed.convention == "keras"
    assert (opt.lr, opt.alpha) == (0.01, 0.9)  # the original is untouched
    surface, starts = surfaces.get("himmelblau"), random_starts("himmelblau")
    fresh = gdsim.RMSprop(lr=lr, alpha=0.8, momentum=0.5, centered=True, convention="keras")
    np.testing.assert_array_equal(
        gdsim.simulate(surface, changed, starts, 30).positions,
        gdsim.simulate(surface, fresh, starts, 30).positions,
    )
    with pytest.raises(ValueError, match="alpha"):
        opt.with_hyperparameters(alpha=1.5)
    with pytest.raises(ValueError, match="did you mean 'momentum'"):
        opt.with_hyperparameters(momentun=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        gdsim.SGD(momentum=0.9, nesterov=True).with_hyperparameters(momentum=0.0)


@pytest.mark.parametrize("config", CONFIGS, ids=ids(CONFIGS))
def test_update_does_not_mutate_its_inputs(config):
    rng = np.random.default_rng(3)
    opt = config.make(config.lr[0])
    params = rng.normal(size=(2, 4))
    state = opt.init(params)
    for e in range(3):
        grad = rng.normal(size=(2, 4))
        before = (params.copy(), grad.copy(), copy.deepcopy(state))
        new_params, new_state = opt.update(params, grad, state, opt.at(e) if e % 2 else None)
        np.testing.assert_array_equal(params, before[0])
        np.testing.assert_array_equal(grad, before[1])
        for old, kept in zip(state, before[2]):
            np.testing.assert_array_equal(old, kept)
        assert new_state.step == state.step + 1
        assert not np.array_equal(new_params, params)
        params, state = new_params, new_state


def test_adagrad_accumulator_starts_at_initial_value():
    state = gdsim.Adagrad(initial_accumulator_value=0.25).init(np.zeros((2, 3)))
    np.testing.assert_array_equal(state.sum, np.full((2, 3), 0.25))
    assert state.step == 0


# --------------------------------------------------------------------------------------------
# 6. Bad input

ALGOS = list(TORCH_DEFAULTS)
BAD_INPUT = [
    *[
        pytest.param(algo, dict(lr=lr), ValueError, "lr", id=f"{algo}-lr={lr}")
        for algo in ALGOS
        for lr in (0.0, -0.1)
    ],
    *[
        pytest.param(
            algo, dict(weight_decay=-0.1), ValueError, "weight_decay", id=f"{algo}-weight_decay"
        )
        for algo in ALGOS
    ],
    *[
        pytest.param(algo, dict(eps=-1e-8), ValueError, "eps", id=f"{algo}-eps")
        for algo in ("Adagrad", "RMSprop", "Adam", "AdamW")
    ],
    *[
        pytest.param(algo, dict(momentum=m), ValueError, "momentum", id=f"{algo}-momentum={m}")
        for algo in ("SGD", "RMSprop")
        for m in (-0.1, 1.0, 1.5)
    ],
    *[
        pytest.param(algo, dict(betas=b), ValueError, "beta", id=f"{algo}-betas={b}")
        for algo in ("Adam", "AdamW")
        for b in ((1.0, 0.999), (0.9, -0.1), (-0.1, 0.9), (0.9, 1.0))
    ],
    pytest.param(
        "SGD", dict(nesterov=True), ValueError, "nesterov", id="nesterov-without-momentum"
    ),
    pytest.param(
        "SGD",
        dict(nesterov=True, momentum=0.9, dampening=0.1),
        ValueError,
        "nesterov",
        id="nesterov-with-dampening",
    ),
    pytest.param("SGD", dict(dampening=-0.5), ValueError, "dampening", id="dampening"),
    pytest.param("Adagrad", dict(lr_decay=-1.0), ValueError, "lr_decay", id="lr_decay"),
    pytest.param(
        "Adagrad",
        dict(initial_accumulator_value=-1.0),
        ValueError,
        "initial_accumulator_value",
        id="initial_accumulator_value",
    ),
    pytest.param("RMSprop", dict(alpha=-0.1), ValueError, "alpha", id="alpha"),
    pytest.param("SGD", dict(lr=np.array([0.1, -0.1])), ValueError, "lr", id="lr-array"),
    pytest.param("SGD", dict(lr=float("nan")), ValueError, "lr", id="lr-nan"),
    pytest.param("SGD", dict(lr="fast"), TypeError, "lr", id="lr-string"),
    pytest.param("SGD", dict(lr=True), TypeError, "lr", id="lr-bool"),
    pytest.param(
        "SGD", dict(momentum=0.9, nesterov="yes"), TypeError, "nesterov", id="nesterov-type"
    ),
    pytest.param("RMSprop", dict(centered=1), TypeError, "centered", id="centered-type"),
    pytest.param("Adam", dict(amsgrad="no"), TypeError, "amsgrad", id="amsgrad-type"),
    pytest.param("Adam", dict(betas=0.9), TypeError, "betas", id="betas-not-a-pair"),
    pytest.param(
        "Adam", dict(convention="kerass"), ValueError, "did you mean 'keras'", id="convention"
    ),
]


@pytest.mark.parametrize("algo, kwargs, error, name", BAD_INPUT)
def test_bad_input_names_the_argument(algo, kwargs, error, name):
    with pytest.raises(error, match=name):
        getattr(gdsim, algo)(**kwargs)


def test_bad_value_in_message():
    with pytest.raises(ValueError, match=r"lr must be > 0, got -0\.1"):
        gdsim.SGD(lr=-0.1)


def test_schedule_with_negative_lr_raises_when_resolved():
    opt = gdsim.SGD(lr=schedules.function(lambda e: (10 - e) * 1e-3))
    assert opt.at(10)["lr"] == 0.0  # 0 is allowed (a cosine down to eta_min = 0)
    with pytest.raises(ValueError, match="lr"):
        opt.at(11)
    surface, starts = surfaces.get("himmelblau"), random_starts("himmelblau")
    gdsim.simulate(surface, opt, starts, 11)  # steps 0..10 are fine
    with pytest.raises(ValueError, match="lr"):
        gdsim.simulate(surface, opt, starts, 12)
    with pytest.raises(ValueError, match="lr"):
        opt.update(np.zeros(2), np.ones(2), opt.init(np.zeros(2))._replace(step=11))


def test_schedule_out_of_range_momentum_raises_when_resolved():
    opt = gdsim.SGD(lr=0.01, momentum=schedules.function(lambda e: 0.5 + 0.1 * e))
    assert opt.at(4)["momentum"] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="momentum"):
        opt.at(5)
    with pytest.raises(ValueError, match="momentum"):
        gdsim.simulate(surfaces.get("himmelblau"), opt, random_starts("himmelblau"), 10)


def test_registry():
    assert optimizers.names() == ["sgd", "adagrad", "rmsprop", "adam", "adamw"]
    assert set(optimizers.describe()) == set(optimizers.names())
    opt = optimizers.get("Adam", lr=0.1, amsgrad=True)
    assert type(opt) is gdsim.Adam and opt.lr == 0.1 and opt.amsgrad
    assert type(optimizers.get("adamw")) is gdsim.AdamW
    with pytest.raises(ValueError, match="did you mean 'adam'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="did you mean 'rmsprop'"):
        optimizers.get("rmsprob")
