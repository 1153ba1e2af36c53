"""Build hook: put the browser pages' npm files, with their licences, into the wheel and sdist.

The files are the pinned ones listed in ``src/citygraph/web/bundles.py``, taken from
``assets/node_modules`` (``make assets`` installs them from the npm registry). A wheel gets
them under ``citygraph/static/npm/``, so ``pip install citygraph`` serves GraphiQL and the API
docs without Node; an sdist gets them under ``assets/node_modules/``, so a wheel built from it
has them too. Editable installs read ``assets/node_modules`` of the checkout directly.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

NODE_MODULES = Path("assets", "node_modules")


def _load_bundles(root: Path) -> ModuleType:
    """``citygraph.web.bundles`` by path: the build environment does not have citygraph."""
    name = "_citygraph_bundles"
    spec = importlib.util.spec_from_file_location(
        name, root / "src" / "citygraph" / "web" / "bundles.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


class CustomBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return
        root = Path(self.root)
        bundles = _load_bundles(root)
        wanted = [rel for bundle in bundles.BUNDLES for rel in bundle.paths()]
        missing = [rel for rel in wanted if not (root / NODE_MODULES / rel).is_file()]
        if missing:
            raise RuntimeError(
                f"cannot build the {self.target_name}: {len(missing)} of the {len(wanted)} browser "
                f"asset files are missing from {NODE_MODULES}/ (first: {missing[0]}). "
                "Install them from the npm registry with `make assets` "
                "(`npm ci` in assets/), then build again."
            )
        if self.target_name == "wheel":
            target = Path("citygraph", bundles.PACKAGED_DIR)
        else:
            target = NODE_MODULES
        for rel in wanted:
            build_data["force_include"][str(root / NODE_MODULES / rel)] = str(target / rel)
