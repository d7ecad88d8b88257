"""Write files so that a reader never sees a partial one: temp file in the same directory, then rename."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_paths(paths: list[Path]):
    """Yield temporary paths next to ``paths``; on success rename each onto its target.

    On any exception every temporary file is removed and no target is touched, so a set of files
    (one per rank, say) appears all together or not at all.
    """
    temps = []
    try:
        for path in paths:
            # the temporary name ends in the target's suffix, so writers that infer the format
            # from it (matplotlib, numpy.savez) write the right thing
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent or ".")
            os.close(fd)
            temps.append(Path(tmp))
        yield temps
        for tmp, path in zip(temps, paths):
            os.replace(tmp, path)
        temps = []
    finally:
        for tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def atomic_write(path, write) -> None:
    """Call ``write(f)`` on a binary file object opened on a temporary file next to ``path``, then rename it
    onto ``path``; on any exception nothing is left behind."""
    path = Path(path)
    with atomic_paths([path]) as (tmp,):
        with open(tmp, "wb") as f:
            write(f)
