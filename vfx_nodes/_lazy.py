"""Lazy public names for a package (PEP 562 module ``__getattr__`` / ``__dir__``).

``import vfx_nodes`` (and ``vfx_nodes.engine``, ``vfx_nodes.train``) must stay cheap and
import no torch; each package lists its public names with the submodule that defines
them, and this builds the two module hooks that load a name on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package``.

    Args:
        package: the package's ``__name__``.
        names: public name → relative module (``".pipeline"``); a name that *is* the
            module's last component (``"samples": ".samples"``) gives the module itself.
        namespace: the package's ``globals()``; a loaded value is cached there so the
            hook runs once per name.
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        mod = importlib.import_module(module, package)
        value = mod if module.endswith("." + name) else getattr(mod, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
