"""A built-in standard with its family's timing table edited, for tests of the table loader and engine."""
import yaml

from dramsim.spec import STANDARDS_DIR, spec_from_dict
from dramsim.table import TABLES_DIR


def spec_with_table(mutate, standard: str, family: str):
    """The built-in ``standard`` with its family's table changed in place by ``mutate`` (given inline)."""
    data = yaml.safe_load((STANDARDS_DIR / f"{standard}.yaml").read_text())
    table = yaml.safe_load((TABLES_DIR / f"{family}.yaml").read_text())
    mutate(table)
    data["table"] = table
    return spec_from_dict(data, "my.yaml")
