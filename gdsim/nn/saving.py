"""The model file: everything an MLP needs to go on training, in one ``.npz`` without pickle.

``MLP.save_weights(path)`` writes these entries (each an ``.npy`` array inside the zip archive)::

    format       "gdsim.nn.MLP"                version   1
    layers       (L + 1,) sizes                activation, output, loss, init, output_init (names)
    single       1 for one network, else 0     population  K (1 for one network)
    frozen       layers excluded from training (``model.freeze``)
    seeds        (K,) each member's seed, in decimal (a seed may need more than 64 bits)
    streams      (K, 6) uint64: each member's shuffle generator (PCG64 state and increment as
                 high and low words, has_uint32, uinteger), so ``fit`` shuffles on where it was
    W0, b0, ...  the weights as ``get_weights`` lists them (K first; no K axis for one network)

``MLP.load(path)`` rebuilds all of it; ``model.load_weights(path)`` reads only the weights. A file
is never trusted: each entry's header (dtype and shape) is read and checked against what the other
entries declare, and against the bytes the archive really holds, before any array is allocated.
A file that is not such an archive, is truncated, or lacks an entry is a ValueError naming it.
"""

from __future__ import annotations

import os
import zipfile
import zlib

import numpy as np

FORMAT = "gdsim.nn.MLP"
VERSION = 1
NAMES = ("activation", "output", "loss", "init", "output_init")
_MASK64 = (1 << 64) - 1
# what reading a damaged archive can raise besides ValueError (zipfile, zlib and the .npy reader)
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    KeyError,
    TypeError,
)


def weight_names(n_layers):
    """``["W0", "b0", "W1", "b1", ...]``: the file's names for ``get_weights``' arrays."""
    return [f"{kind}{layer}" for layer in range(n_layers) for kind in ("W", "b")]


def write(model, path):
    """Write ``model`` to ``path`` (exactly that name; no suffix is added) and return the path.

    The archive is written beside the target and renamed onto it, so an interrupted save (a
    ModelCheckpoint during a crash) never leaves a half-written file under the real name."""
    streams = np.array(
        [_words(rng.bit_generator.state) for rng in model.shuffle_streams()], dtype=np.uint64
    )
    entries = dict(
        format=np.array(FORMAT),
        version=np.array(VERSION),
        layers=np.array(model.layers, dtype=np.int64),
        **{name: np.array(getattr(model, name)) for name in NAMES},
        single=np.array(int(model.single)),
        population=np.array(model.population),
        frozen=np.array(model.frozen),
        seeds=np.array([str(s) for s in model.seeds]),
        streams=streams.reshape(model.population, 6),
        **dict(zip(weight_names(model.n_layers), model.get_weights())),
    )
    if hasattr(path, "write"):  # an open binary file
        np.savez(path, **entries)
        return path
    target = os.fspath(path)
    partial = f"{target}.{os.getpid()}.partial"
    try:
        with open(partial, "wb") as file:
            np.savez(file, **entries)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return path


def _words(state):
    """A PCG64 generator's state as six integers (128-bit numbers split into two words)."""
    if state["bit_generator"] != "PCG64":
        raise TypeError(f"shuffle streams must be PCG64 generators, got {state['bit_generator']}")
    inner = state["state"]
    return [
        inner["state"] >> 64,
        inner["state"] & _MASK64,
        inner["inc"] >> 64,
        inner["inc"] & _MASK64,
        state["has_uint32"],
        state["uinteger"],
    ]


def stream(words):
    """The generator :func:`_words` described."""
    words = [int(w) for w in words]
    rng = np.random.default_rng(0)
    rng.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": (words[0] << 64) | words[1], "inc": (words[2] << 64) | words[3]},
        "has_uint32": words[4],
        "uinteger": words[5],
    }
    return rng


class ModelFile:
    """A model file opened for reading: ``with ModelFile(path) as f: f.config(), f.weights(...)``.

    Opening a path that does not exist raises the usual FileNotFoundError; everything else that
    is wrong with the file is a ValueError that starts with its name."""

    def __init__(self, path):
        self._owned = not hasattr(path, "read")  # a path we open and close, or an open file
        self.name = os.fspath(path) if self._owned else getattr(path, "name", repr(path))
        self._file = open(path, "rb") if self._owned else path
        self.zip = None
        try:
            self.zip = zipfile.ZipFile(self._file)
        except _DAMAGED as error:
            self.close()
            raise self.error(
                f"is not a model file written by MLP.save_weights (not a readable "
                f".npz archive: {_reason(error)})"
            ) from None
        self._config = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.zip is not None:
            self.zip.close()
        if self._owned and self._file is not None:
            self._file.close()
        self.zip = self._file = None

    def error(self, message):
        return ValueError(f"{self.name} {message}")

    def _unreadable(self, name, error):
        return self.error(f"is corrupt: its {name!r} entry cannot be read ({_reason(error)})")

    # -- entries -------------------------------------------------------------------------------
    def entry(self, name, kinds, shape):
        """The array stored as ``name``, once its header shows a dtype of one of the ``kinds``
        (NumPy's kind letters) and ``shape`` (a tuple, or an int: a number of dimensions), and
        the archive is seen to hold exactly the bytes the header declares."""
        try:
            info = self.zip.getinfo(name + ".npy")
        except KeyError:
            raise self.error(
                f"is incomplete: it has no {name!r} entry (a file written by "
                f"MLP.save_weights has {self._expected()})"
            ) from None
        try:
            with self.zip.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version not in ((1, 0), (2, 0)):
                    raise ValueError(f".npy format version {version} is not supported")
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                declared, _, dtype = read_header(f)
                header_bytes = f.tell()
        except _DAMAGED as error:
            raise self._unreadable(name, error) from None
        if dtype.hasobject or dtype.kind not in kinds:
            raise self.error(
                f"is corrupt: {name!r} holds dtype {dtype}, expected {_kind_names(kinds)}"
            )
        if (declared != shape) if isinstance(shape, tuple) else (len(declared) != shape):
            wanted = shape if isinstance(shape, tuple) else f"{shape} dimension(s)"
            raise self.error(f"holds {name!r} of shape {declared}, expected {wanted}")
        # the header is believed only if the archive holds the bytes it declares: a damaged or
        # hostile header would otherwise make the reader allocate whatever shape it names
        nbytes = int(np.prod(declared, dtype=object)) * dtype.itemsize
        stored = info.file_size - header_bytes
        if stored != nbytes or (
            info.compress_type != zipfile.ZIP_STORED
            and info.file_size > 1100 * info.compress_size + 4096
        ):
            raise self.error(
                f"is corrupt: {name!r} declares shape {declared} ({nbytes} bytes) but "
                f"the archive holds {max(stored, 0)} bytes for it"
            )
        try:
            with self.zip.open(info) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except _DAMAGED as error:
            raise self._unreadable(name, error) from None

    def _expected(self):
        return (
            "format, version, layers, "
            + ", ".join(NAMES)
            + ", single, population, frozen, seeds, streams, W0, b0, W1, b1, ..."
        )

    def _scalar(self, name, kinds):
        return self.entry(name, kinds, ())[()]

    # -- what the file declares ----------------------------------------------------------------
    def config(self):
        """The architecture, population, seeds and streams, checked for consistency:
        ``{"layers": [...], "activation": ..., "single": bool, "population": K, "frozen": n,
        "seeds": [...], "streams": (K, 6)}``."""
        if self._config is not None:
            return self._config
        kind = self._scalar("format", "U")
        if kind != FORMAT:
            raise self.error(
                f"is not a model file written by MLP.save_weights (format {kind!r}, "
                f"expected {FORMAT!r})"
            )
        version = int(self._scalar("version", "iu"))
        if version != VERSION:
            raise self.error(f"has format version {version}; this gdsim reads version {VERSION}")
        config = {"layers": [int(n) for n in self.entry("layers", "iu", 1)]}
        for name in NAMES:
            config[name] = str(self._scalar(name, "U"))
        single, K = int(self._scalar("single", "iub")), int(self._scalar("population", "iu"))
        if single not in (0, 1) or K < 1 or (single and K != 1):
            raise self.error(f"is corrupt: single={single} with population={K}")
        config.update(single=bool(single), population=K, frozen=int(self._scalar("frozen", "iu")))
        seeds = self.entry("seeds", "U", (K,))
        if not all(s.isdigit() and s.isascii() for s in seeds.tolist()):
            raise self.error(f"is corrupt: seeds must be non-negative integers, got {seeds}")
        config["seeds"] = [int(s) for s in seeds.tolist()]
        config["streams"] = self.entry("streams", "u", (K, 6))
        self._config = config
        return config

    def weights(self, layers=None, population=None, single=None):
        """``[W0, b0, ...]`` as float64, each checked for shape and finiteness.

        With ``layers``, ``population`` and ``single`` (a model to load into), the file must fit
        that model: the same layer sizes and population, except that one network's file and a
        population of one fit each other. Without them, the file's own declarations are used."""
        config = self.config()
        if layers is None:
            layers, population, single = config["layers"], config["population"], config["single"]
        if list(layers) != config["layers"]:
            raise self.error(f"holds layers {config['layers']}, this model has {list(layers)}")
        K, file_single = config["population"], config["single"]
        if (K, file_single) != (population, single) and not (K == 1 and population == 1):

            def kind(k, one):
                return "a single network" if one else f"a population of {k}"

            hint = (
                " (model.set_weights(MLP.load(path).get_weights()) copies one network into "
                "every member)"
                if file_single
                else ""
            )
            raise self.error(
                f"holds {kind(K, file_single)}, this model is {kind(population, single)}{hint}"
            )
        lead = () if file_single else (K,)
        names = weight_names(len(layers) - 1)
        extra = sorted(
            n[:-4]
            for n in self.zip.namelist()
            if n.endswith(".npy") and n[:1] in "Wb" and n[1:-4].isdigit() and n[:-4] not in names
        )
        if extra:
            raise self.error(
                f"is corrupt: it holds {extra} beyond the {len(layers) - 1} layers "
                f"of {config['layers']}"
            )
        shapes = []
        for fan_in, fan_out in zip(layers[:-1], layers[1:]):
            shapes += [lead + (fan_in, fan_out), lead + (fan_out,)]
        weights = []
        for name, shape in zip(names, shapes):
            w = self.entry(name, "fiu", shape).astype(float, copy=False)
            bad = int(np.count_nonzero(~np.isfinite(w)))
            if bad:
                raise self.error(
                    f"holds {bad} non-finite value(s) (NaN or inf) in {name!r}; "
                    "a model with them cannot predict or train"
                )
            weights.append(w)
        return weights


def _reason(error):
    return str(error) or type(error).__name__


def _kind_names(kinds):
    names = {
        "f": "floats",
        "i": "integers",
        "u": "unsigned integers",
        "U": "a string",
        "b": "booleans",
    }
    return " or ".join(names[k] for k in kinds)
