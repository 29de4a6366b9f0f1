"""Command families, one module each.  Importing this package registers them all.

Every module in this package is imported (and so registers its commands with
``registry``) when the package is imported; adding a family means adding a
module, nothing else.
"""

import importlib
import pkgutil

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name not in ("registry", "args", "keyspecs"):
        importlib.import_module("%s.%s" % (__name__, _mod.name))

# Redis's key specs, tips and metadata fixes, once every command is declared.
importlib.import_module(__name__ + ".keyspecs").apply()
