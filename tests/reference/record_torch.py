"""Record PyTorch's answers for gdsim's oracle tests into tests/reference/torch_oracle.npz.

The oracle tests (every test file that uses ``tests/torch_oracle.py``'s ``torch_reference``) compare
gdsim with these records on every machine, and with live torch too where torch is installed.

When to re-record:
  * after adding, removing or changing an oracle case (a new optimizer configuration, schedule,
    plateau option, MLP head, training loop, or different inputs of an existing case): a test then
    fails with "no torch record for ..." or "live torch ... differs from the record";
  * when moving to another torch version (the records and REFERENCE.md follow PyTorch 2.13).

How, from the repository root, with that torch installed (``pip install torch==2.13.0``):

    python tests/reference/record_torch.py

The script runs those test files with pytest in recording mode: each ``torch_reference`` call
computes torch's answer and keeps it, and the tests still compare gdsim against it. The npz is
written only when every test passes, and it holds exactly the cases the tests asked for (float64
arrays; strings for non-numeric torch defaults), plus ``__torch_version__``, ``__numpy_version__``
and ``__script__`` as metadata. Commit the npz with the change that needed it.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
SCRIPT = "tests/reference/record_torch.py"


def oracle_test_files():
    return sorted(
        str(path.relative_to(ROOT))
        for path in TESTS.glob("test_*.py")
        if "torch_reference" in path.read_text(encoding="utf-8")
    )


def main():
    import numpy as np
    import pytest
    import torch

    os.chdir(ROOT)
    sys.path.insert(0, str(TESTS))
    import torch_oracle

    files = oracle_test_files()
    torch_oracle.start_recording()
    try:
        code = pytest.main([*files, "-q", "-p", "no:cacheprovider"])
    finally:
        answers = torch_oracle.stop_recording()
    if code != 0:
        print(
            f"pytest exited with {code}: nothing written (fix the failures first)", file=sys.stderr
        )
        return 1
    if not answers:
        print("no test asked for a torch record: nothing written", file=sys.stderr)
        return 1
    arrays = {
        torch_oracle.npz_name(key, name): value
        for key in sorted(answers)
        for name, value in sorted(answers[key].items())
    }
    arrays.update(
        __torch_version__=np.array(torch.__version__),
        __numpy_version__=np.array(np.__version__),
        __script__=np.array(SCRIPT),
    )
    np.savez_compressed(torch_oracle.RECORD, **arrays)
    size = torch_oracle.RECORD.stat().st_size
    print(
        f"wrote {len(answers)} cases ({len(arrays)} arrays, {size / 1e3:.0f} kB) from "
        f"{len(files)} files with torch {torch.__version__} to "
        f"{torch_oracle.RECORD.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
