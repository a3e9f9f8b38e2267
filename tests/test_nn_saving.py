"""What is saved is what is restored: MLP files keep everything training needs, and a damaged
or hostile file is refused with a ValueError that names it, before any memory is taken."""

import io
import tracemalloc
import zipfile

import numpy as np
import pytest

from gdsim import datasets
from gdsim.nn import MLP, fit
from gdsim.optimizers import SGD


@pytest.fixture(scope="module")
def blobs():
    X, y = datasets.blobs(200, centers=3, n_features=2, cluster_std=2, seed=2)
    return X, y


def entries(path):
    with np.load(path, allow_pickle=False) as stored:
        return {name: stored[name] for name in stored.files}


def rewrite(path, **changes):
    """The file at ``path`` again, with entries replaced (``None`` removes one)."""
    data = entries(path)
    for name, value in changes.items():
        if value is None:
            del data[name]
        else:
            data[name] = value
    with open(path, "wb") as file:
        np.savez(file, **data)


def test_the_whole_model_comes_back(tmp_path, blobs):
    X, y = blobs
    model = MLP(
        [2, 6, 5, 3],
        activation="tanh",
        output="sigmoid",
        init="lecun_normal",
        output_init="glorot_normal",
        population=3,
        seed=[7, 8, 9],
    )
    model.freeze(1)
    fit(model, SGD(lr=0.1), X, y % 2 == 0, epochs=2, verbose=0)  # one sigmoid per class is fine
    path = model.save_weights(tmp_path / "model.npz")
    back = MLP.load(path)
    for name in (
        "layers",
        "activation",
        "output",
        "loss",
        "init",
        "output_init",
        "population",
        "single",
        "seeds",
        "frozen",
        "trainable",
    ):
        assert getattr(back, name) == getattr(model, name), name
    for a, b in zip(model.get_weights(), back.get_weights()):
        assert a.dtype == b.dtype == np.float64 and np.array_equal(a, b)
    with np.load(path, allow_pickle=False) as stored:  # every entry readable unpickled
        assert {"W2", "b2", "seeds", "streams", "frozen"} <= set(stored.files)


def test_training_goes_on_as_if_never_saved(tmp_path, blobs):
    X, y = blobs
    straight = MLP([2, 8, 3], population=2, seed=[1, 2])
    fit(straight, SGD(lr=0.1, momentum=0.9), X, y, epochs=2, verbose=0)
    h = fit(straight, SGD(lr=0.1, momentum=0.9), X, y, epochs=2, verbose=0)
    saved = MLP([2, 8, 3], population=2, seed=[1, 2])
    fit(saved, SGD(lr=0.1, momentum=0.9), X, y, epochs=2, verbose=0)
    saved.save_weights(tmp_path / "half")  # any name; nothing is appended
    resumed = MLP.load(tmp_path / "half")
    h2 = fit(resumed, SGD(lr=0.1, momentum=0.9), X, y, epochs=2, verbose=0)
    # the shuffle streams continue where they were, so the same rows meet the same weights
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        assert np.array_equal(a, b)
    assert np.array_equal(h.loss, h2.loss)


def test_a_single_network_and_a_population_of_one_fit_each_other(tmp_path):
    single = MLP([2, 4, 3], seed=5)
    single.save_weights(tmp_path / "single.npz")
    one = MLP([2, 4, 3], population=1, seed=0)
    one.load_weights(tmp_path / "single.npz")
    for a, b in zip(one.get_weights(), single.get_weights()):
        assert a.shape == (1,) + b.shape and np.array_equal(a[0], b)
    one.save_weights(tmp_path / "one.npz")
    again = MLP([2, 4, 3], seed=0)
    again.load_weights(tmp_path / "one.npz")
    for a, b in zip(again.get_weights(), single.get_weights()):
        assert np.array_equal(a, b)
    assert MLP.load(tmp_path / "single.npz").single and not MLP.load(tmp_path / "one.npz").single


def test_a_file_that_does_not_fit_the_model_is_refused(tmp_path):
    path = tmp_path / "three.npz"
    MLP([2, 4, 3], population=3, seed=0).save_weights(path)
    with pytest.raises(
        ValueError,
        match=r"three\.npz holds a population of 3, this model is a "
        r"population of 2",
    ):
        MLP([2, 4, 3], population=2).load_weights(path)
    with pytest.raises(ValueError, match=r"holds layers \[2, 4, 3\], this model has \[2, 5, 3\]"):
        MLP([2, 5, 3], population=3).load_weights(path)
    MLP([2, 4, 3], seed=0).save_weights(tmp_path / "single.npz")
    with pytest.raises(
        ValueError,
        match=r"single\.npz holds a single network, this model is a "
        r"population of 3 \(model\.set_weights",
    ):
        MLP([2, 4, 3], population=3).load_weights(tmp_path / "single.npz")


def test_non_finite_weights_are_refused(tmp_path):
    path = tmp_path / "nan.npz"
    model = MLP([2, 4, 3], population=2, seed=0)
    model.save_weights(path)
    W1 = model.get_weights()[2]
    W1[1, 0, 0], W1[0, 2, 1] = np.nan, np.inf
    rewrite(path, W1=W1)
    for load in (MLP.load, MLP([2, 4, 3], population=2).load_weights):
        with pytest.raises(ValueError, match=r"nan\.npz holds 2 non-finite value\(s\) .* in 'W1'"):
            load(path)


def _loading_errors(path):
    """The ValueError messages of both loaders on ``path`` (each must raise one)."""
    messages = []
    for load in (MLP.load, MLP([2, 4, 3], population=2).load_weights):
        with pytest.raises(ValueError) as error:
            load(path)
        messages.append(str(error.value))
    return messages


def test_random_bytes_are_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(3000))
    for message in _loading_errors(path):
        assert message.startswith(str(path)) and "not a model file" in message
        assert "pickle" not in message


def test_every_truncation_is_a_clear_error_naming_the_file(tmp_path):
    whole = tmp_path / "whole.npz"
    MLP([2, 4, 3], population=2, seed=0).save_weights(whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.npz"
    for length in list(range(0, len(data), 53)) + [len(data) - 1]:
        cut.write_bytes(data[:length])
        for message in _loading_errors(cut):
            assert message.startswith(str(cut)) and "pickle" not in message


def test_a_missing_entry_is_named(tmp_path):
    for name in ("seeds", "streams", "b1", "layers", "format", "frozen"):
        path = tmp_path / f"without-{name}.npz"
        MLP([2, 4, 3], population=2, seed=0).save_weights(path)
        rewrite(path, **{name: None})
        for message in _loading_errors(path):
            assert message.startswith(f"{path} is incomplete: it has no '{name}' entry")


def test_wrong_kinds_of_entries_are_refused(tmp_path):
    path = tmp_path / "odd.npz"
    MLP([2, 4, 3], population=2, seed=0).save_weights(path)
    rewrite(path, W0=np.zeros((2, 2, 5)))
    with pytest.raises(ValueError, match=r"holds 'W0' of shape \(2, 2, 5\), expected \(2, 2, 4\)"):
        MLP.load(path)
    rewrite(path, W0=np.full((2, 2, 4), "x"))
    with pytest.raises(ValueError, match=r"'W0' holds dtype <U1, expected floats"):
        MLP.load(path)
    data = entries(path)
    data["W0"] = np.zeros((2, 2, 4))
    data["seeds"] = np.array([1, None], dtype=object)  # would need pickle to read
    with open(path, "wb") as file:
        np.savez(file, **data)
    with pytest.raises(ValueError, match=r"'seeds' holds dtype object"):
        MLP.load(path)
    data["seeds"] = np.array(["1", "2"])
    with open(path, "wb") as file:
        np.savez(file, **data)
    rewrite(path, activation=np.array("swish"))
    with pytest.raises(ValueError, match=r"odd\.npz does not describe a valid model: .*swish"):
        MLP.load(path)
    rewrite(path, activation=np.array("relu"), format=np.array("something else"))
    with pytest.raises(ValueError, match="not a model file written by MLP.save_weights"):
        MLP.load(path)


def _npy(shape, payload=b""):
    """An .npy entry whose header declares ``shape`` of float64, followed by ``payload``."""
    buffer = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + payload


def test_a_header_that_declares_huge_shapes_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    model = MLP([2, 4, 3], seed=0)
    model.save_weights(path)
    data = entries(path)
    big = 200_000  # one W0 of 200k x 200k floats would be 320 GB
    data["layers"] = np.array([big, big, 3])
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in data.items():
            if name != "W0":
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asarray(value), allow_pickle=False)
                archive.writestr(name + ".npy", buffer.getvalue())
        archive.writestr("W0.npy", _npy((big, big), b"\0" * 64))
    tracemalloc.start()
    try:
        with pytest.raises(
            ValueError,
            match=r"huge\.npz is corrupt: 'W0' declares shape "
            r"\(200000, 200000\) \(320000000000 bytes\) but the "
            r"archive holds 64 bytes",
        ):
            MLP.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6


def test_checkpoints_written_during_training_load_back(tmp_path, blobs):
    from gdsim.nn import ModelCheckpoint

    X, y = blobs
    model = MLP([2, 8, 3], population=2, seed=[1, 2])
    checkpoint = ModelCheckpoint(tmp_path / "best.npz", monitor="loss")
    fit(model, SGD(lr=0.1), X, y, epochs=3, callbacks=[checkpoint], verbose=0)
    back = MLP.load(tmp_path / "best.npz")
    for a, b in zip(back.get_weights(), checkpoint.best_weights):
        assert np.array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["best.npz"]  # no partial file left behind
