"""The data files the packages load at run time are declared as package data (setup.cfg), so a
non-editable install (``pip install .``, a wheel) carries them too."""
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_of_a_package_is_declared_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    declared = {pkg: [p.strip() for p in globs.replace("\n", ",").split(",") if p.strip()]
                for pkg, globs in cfg["options.package_data"].items()}
    missing = []
    for pkg in ("dramsim", "snn", "coupling", "traces"):
        base = ROOT / pkg
        for f in base.rglob("*"):
            if f.suffix not in (".yaml", ".csv", ".json", ".npz") or "__pycache__" in f.parts:
                continue
            rel = f.relative_to(base)
            if not any(rel.match(g) and len(rel.parts) == len(Path(g).parts) for g in declared.get(pkg, [])):
                missing.append(f"{pkg}/{rel}")
    assert not missing, f"not declared in setup.cfg [options.package_data]: {missing}"
