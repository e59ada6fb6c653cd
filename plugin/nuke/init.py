# vfx_nodes start-up for Nuke (all modes, render mode too): no UI, no logging changes,
# no network. Add this folder to NUKE_PATH; see docs/NUKE.md.
import os
import sys

try:
    import vfx_nodes.hosts.nuke as _vfx_nuke
except ImportError:  # not installed in Nuke's Python: use the checkout this folder is in
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    import vfx_nodes.hosts.nuke as _vfx_nuke

_vfx_nuke.init()
