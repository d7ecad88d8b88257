"""Write files so that a reader never sees a partial one: temp file in the same directory, then rename.

Also the one place that checks output locations before a command starts its work
(:func:`check_output_file`, :func:`check_output_dir`), builds multi-file outputs aside and renames
them into place (:func:`atomic_dir`), and turns an ``OSError`` on an output into the one-line
``PATH: cannot write (reason)`` (:class:`OutputError`).
"""
from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
import tempfile
import threading
from pathlib import Path

from traces.errors import InputError


class OutputError(InputError):
    """An output location cannot be written: ``PATH: cannot write (reason)``; ``reason`` alone is an attribute."""

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: cannot write ({reason})")
        self.path, self.reason = path, reason


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def cannot_write(path, exc: OSError | str) -> OutputError:
    """The :class:`OutputError` for ``path`` (the user's name, never a temp file) and ``exc``."""
    return OutputError(path, exc if isinstance(exc, str) else _reason(exc))


def _probe(directory: Path, target) -> None:
    """Create and remove a file in ``directory``: the one reliable writability test (EROFS, EACCES, ...)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".probe.", suffix=".tmp", dir=directory)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise cannot_write(target, exc) from None


def check_output_file(path) -> Path:
    """Check, before any work, that the file ``path`` can be written; return it as a :class:`Path`.

    Raises
    ------
    OutputError
        ``path`` is a directory, its directory does not exist or is not a directory, or a file
        cannot be created there.
    """
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise cannot_write(path, "is a directory; expected a file")
    if parent.exists() and not parent.is_dir():
        raise cannot_write(path, f"{parent} is not a directory")
    if not parent.is_dir():
        raise cannot_write(path, f"directory {parent} does not exist")
    _probe(parent, path)
    return path


def check_output_dir(path, force: bool | None = None, outputs: tuple[str, ...] = ()) -> Path:
    """Check, before any work, that the directory ``path`` can be created (or written); return it.

    Missing parent directories are allowed (they are created); the nearest existing one must be a
    writable directory.

    Parameters
    ----------
    force : bool, optional
        None: an existing directory is fine (the caller adds to it). False: a non-empty existing
        directory is refused (an earlier run's output). True: it may be replaced as a whole, but
        only if every entry matches ``outputs`` (glob patterns of what the command writes) and it
        is not the working directory or one above it.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise cannot_write(path, "exists and is not a directory; expected a directory")
    if force is not None and path.is_dir() and any(path.iterdir()):
        if not force:
            raise InputError(f"{path}: directory exists and is not empty (an earlier run?); expected a new "
                             "directory, or --force to replace it")
        here = Path.cwd().resolve()
        if path.resolve() == here or path.resolve() in here.parents:
            raise InputError(f"{path}: is the working directory or above it; --force replaces only an output directory")
        # hidden entries count too (a .git must not go), except the temp files of a killed write
        foreign = sorted(e.name for e in path.iterdir()
                         if not fnmatch.fnmatch(e.name, ".*.tmp*") and not any(fnmatch.fnmatch(e.name, o) for o in outputs))
        if foreign:
            raise InputError(f"{path}: holds {foreign[0]!r}, which this command does not write; --force replaces "
                             "only a directory of this command's outputs (" + ", ".join(outputs) + ")")
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise cannot_write(path, f"{ancestor} is not a directory")
    _probe(ancestor, path)
    return path


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows.

    Linux shows it in ``/proc/self/status``; elsewhere it is read by setting and restoring it under
    a lock (a thread creating a file at that instant could otherwise see the umask 0o077).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(directory, name: str) -> None:
    """Remove ``.NAME.*.tmp*`` files and ``.NAME.PID.tmpdir`` directories in ``directory`` left by a
    killed run (temp directories only when process PID is gone)."""
    directory = Path(directory)
    if not directory.is_dir():
        return
    for stale in directory.glob(f".{name}.*.tmp*"):
        if stale.is_dir():
            pid = stale.name[len(name) + 2:].split(".")[0]
            if not pid.isdigit() or (int(pid) != os.getpid() and _alive(int(pid))):
                continue
            shutil.rmtree(stale, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                stale.unlink()


@contextlib.contextmanager
def atomic_dir(path):
    """Yield a fresh temp directory beside ``path``; on success it replaces ``path`` as a whole.

    A reader sees the old directory or the complete new one, never a mix: files of an older run
    are not left beside newer results. On any exception the temp directory is removed and
    ``path`` is untouched. Temp directories of killed runs (``.NAME.PID.tmpdir``, PID gone) are
    removed first.
    """
    path = Path(path)
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale(parent, path.name)
        tmp = parent / f".{path.name}.{os.getpid()}.tmpdir"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        try:
            yield tmp
        except OSError as exc:
            # a fault on the temp directory (or an unnamed one: disk full) is a fault on the output
            name = None if exc.filename is None else Path(exc.filename)
            if name is None:
                raise cannot_write(path, exc) from None
            if name == tmp or tmp in name.parents:
                raise cannot_write(path / name.relative_to(tmp), exc) from None
            raise
        old = parent / f".{path.name}.{os.getpid()}.old.tmpdir"
        try:
            if path.exists():
                os.replace(path, old)
            os.replace(tmp, path)
        except OSError as exc:
            if old.exists() and not path.exists():
                os.replace(old, path)
            raise cannot_write(path, exc) from None
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def atomic_paths(paths: list[Path]):
    """Yield temporary paths next to ``paths``; on success rename each onto its target.

    On any exception every temporary file is removed and no target is touched, so a set of files
    (one per rank, say) appears all together or not at all. An ``OSError`` while creating,
    writing or renaming becomes :class:`OutputError` naming the target (not the temp file).
    """
    temps = []
    current = paths[0] if paths else None
    mask = current_umask()
    try:
        for path in paths:
            current = path
            if Path(path).is_dir():
                raise cannot_write(path, "is a directory; expected a file")
            # the temporary name ends in the target's suffix, so writers that infer the format
            # from it (matplotlib, numpy.savez) write the right thing
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent or ".")
            temps.append(Path(tmp))
            try:    # mkstemp makes the file 0600; the output gets the mode open() would give it
                os.fchmod(fd, 0o666 & ~mask)
            finally:
                os.close(fd)
        current = paths[0] if len(paths) == 1 else ", ".join(map(str, paths))
        yield temps
        for tmp, path in zip(temps, paths):
            current = path
            os.replace(tmp, path)
        temps = []
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and current is not None and not Path(current).parent.is_dir():
            raise cannot_write(current, f"directory {Path(current).parent} does not exist") from None
        raise cannot_write(current, exc) from None
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
