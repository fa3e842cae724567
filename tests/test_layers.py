"""The package's layers: nothing imports a layer above its own, and TensorFlow (the GAN) and
torch (the physics) never meet in one module's imports, so they never share a process."""

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "crystalgan"
# Rank of each layer: a module may import its own layer and those of lower rank only;
# gan and physics share a rank but may not import each other.
LAYERS = {"": 0, "core": 0, "data": 1, "evaluation": 2, "gan": 3, "physics": 3, "cli": 4}
TOP_LEVEL = {"config", "methods", "settings", "errors", "__init__"}  # crystalgan/<name>.py: rank 0, but cli
FOREIGN = {"gan": {"torch", "chgnet", "ase", "sevenn"}, "physics": {"tensorflow", "keras"}}


def layer(module: str) -> str:
    """Layer of a dotted module name inside the package ('' for the top-level modules)."""
    parts = module.split(".")[1:]
    if not parts or parts[0] in TOP_LEVEL:
        return ""
    return parts[0]


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (imports inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own_or_the_other_framework(path):
    name = "crystalgan." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    mine = "cli" if name == "crystalgan.cli" or name.startswith("crystalgan.cli.") else layer(name)
    for module in imports(path):
        top = module.split(".")[0]
        assert top not in FOREIGN.get(mine, ()), f"{name} ({mine}) imports {module}"
        if top != "crystalgan":
            continue
        theirs = "cli" if module.startswith("crystalgan.cli") else layer(module)
        assert LAYERS[theirs] <= LAYERS[mine], f"{name} ({mine or 'top'}) imports {module} ({theirs}), a layer above"
        assert {mine, theirs} != {"gan", "physics"}, f"{name} ({mine}) imports {module} ({theirs})"


def test_the_layout_is_the_layers():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert folders == set(LAYERS) - {"", "cli"} | ({"cli"} if (PACKAGE / "cli").is_dir() else set())
