"""Named catalogues of optimizers, surfaces, schedules and gallery figures.

Each catalogue is a :class:`Registry`; adding an entry is one ``register`` line, from inside
gdsim or from a user's notebook, and ``gdsim list`` shows it::

    gdsim.optimizers.register("lion", Lion, "sign of an interpolated momentum (Chen et al. 2023)")
    gdsim.optimizers.get("lion", lr=3e-4)
"""

from __future__ import annotations

from gdsim import arguments


def summary(obj):
    """The first paragraph of ``obj``'s docstring on one line ("" without a docstring)."""
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return " ".join(doc.split("\n\n")[0].split())


class Registry:
    """``name -> (factory, one-line description)``, in the order registered; ``ignore_case``
    lets ``get("Adam")`` find ``"adam"``."""

    def __init__(self, kind, ignore_case=False):
        self.kind, self.ignore_case = kind, ignore_case
        self._entries = {}

    def register(self, name, factory, description=None, *, replace=False):
        """Add ``factory`` (a class or function) as ``name`` and return it. The description
        defaults to the first paragraph of the factory's docstring."""
        if not isinstance(name, str) or not name or name != "".join(name.split()):
            raise ValueError(
                f"{self.kind} name must be a non-empty string without spaces, such "
                f"as 'lion', got {name!r}"
            )
        if not callable(factory):
            raise TypeError(f"{self.kind} {name!r} must be a class or a function, got {factory!r}")
        if name in self._entries and not replace:
            raise ValueError(
                f"{self.kind} {name!r} is already registered; pass replace=True to replace it"
            )
        if description is None:
            description = summary(factory)
        if not isinstance(description, str):
            raise TypeError(f"description must be a string, got {description!r}")
        self._entries[name] = (factory, description)
        return factory

    def unregister(self, name):
        """Remove ``name`` (e.g. after a test or a lesson cell that registered it)."""
        self.factory(name)
        del self._entries[name]

    def factory(self, name):
        """The class or function registered as ``name``."""
        key = name.lower() if isinstance(name, str) and self.ignore_case else name
        if not isinstance(key, str) or key not in self._entries:
            raise arguments.unknown_name_error(self.kind, name, list(self._entries))
        return self._entries[key][0]

    def get(self, name, **options):
        """``factory(**options)`` for the entry ``name``."""
        return self.factory(name)(**options)

    def names(self):
        return list(self._entries)

    def describe(self):
        return {name: description for name, (_, description) in self._entries.items()}

    def __contains__(self, name):
        return name in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)
