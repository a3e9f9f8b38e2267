"""Teaching material: the seed tutorials' experiments, the named gallery figures, the tour and
the lesson notebooks."""

from gdsim.teach import experiments, gallery, lessons, tour

__all__ = ["experiments", "gallery", "lessons", "tour"]
