"""A homework sheet: one exercise written once, from which every notebook of it is made.

Each grader module defines its exercise's ``SHEET``: the prose, the imports, the function's
signature with the student's to-do and the solution's body, the picture that runs once the
grader passes, and the grader that the generated assignments' tests call.
:mod:`gdsim.teach.assignments` turns a sheet into the lesson's exercise and solution notebooks
(``lessons/homework/``), an Otter-Grader source notebook and an nbgrader source notebook, so
the four never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sheet:
    """One homework exercise, format-neutral. Code is given without a trailing newline.

    ``signature`` is the ``def`` line and docstring; ``todo`` the comment that the student's
    stub carries; ``body`` the solution (indented as the function's body). ``picture`` draws
    the student's function next to gdsim's and runs only once the grader passes;
    ``picture_check`` is the assertion the solution notebook adds to it. The assignments grade
    the function with ``grader`` (public: its own cases; hidden: fresh seeds and edge cases).
    """

    number: int  # 1, 2, ...: the notebook is "01_<slug>.ipynb"
    slug: str  # "momentum_step": the file name and the assignment's question
    title: str  # "One step of SGD with momentum"
    function: str  # the student's function, "momentum_step"
    grader: str  # its grader in gdsim.homework, "check_momentum_step"
    intro: str  # markdown under the title: what you will learn and do
    rule: str  # markdown: the rule and the function's contract
    imports: str  # code
    signature: str  # code: def line and docstring
    todo: str  # code: the student's to-do comment, indented
    body: str  # code: the solution's body, indented
    see_it: str  # markdown
    picture: str  # code, run once the grader passes
    picture_check: str  # code: the solution notebook's assertion after the picture
    things_to_try: str  # markdown

    def __post_init__(self):
        # the texts are written as r'''<newline>...''' blocks: drop the newlines around them
        for name, value in vars(self).items():
            if isinstance(value, str):
                object.__setattr__(self, name, value.strip("\n"))

    @property
    def name(self):
        """The notebook's file stem, e.g. "01_momentum_step"."""
        return f"{self.number:02d}_{self.slug}"

    @property
    def heading(self):
        return f"Homework {self.number} · {self.title}"

    def stub(self):
        """The student's starting point: the signature, the to-do and ``return None``."""
        return f"{self.signature}\n{self.todo}\n    return None"

    def solution(self):
        return f"{self.signature}\n{self.body}"
