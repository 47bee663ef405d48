"""Keep pandas out of a `sippet-sync` process: nothing in it uses pandas.

pandas is no dependency of the engine, but the `dev` and `notebook` extras install it, and
then DuckDB imports it at the first query parameter it binds (it compares every parameter
with pandas' `NaT` and `NA`) and pyarrow at the first array it builds from a list (it checks
for a pandas `Series`). Measured in one process: +47 MB of RSS and ~0.4 s of CPU, in every CLI
run, for a library never called. Both libraries treat pandas as absent when its import
fails, so the CLI refuses that import. Only `pipelines.cli.main` does this: a library caller
(Dagster, a notebook) keeps its pandas.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec

#: Top-level packages the CLI process never needs and refuses to import.
UNUSED_PACKAGES = frozenset({"pandas"})


class _RefuseUnused:
    """A meta-path finder that fails the import of an unused package, as if not installed."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name.partition(".")[0] in UNUSED_PACKAGES:
            raise ModuleNotFoundError(
                f"No module named {name!r}: sippet-sync does not load it (pipelines.lean_imports)",
                name=name)
        return None


def refuse_unused_imports() -> None:
    """From now on this process cannot import the unused packages; one already imported
    (a caller that needs it) is left alone."""
    if any(name in sys.modules for name in UNUSED_PACKAGES):
        return
    if _RefuseUnused not in sys.meta_path:
        sys.meta_path.insert(0, _RefuseUnused)
