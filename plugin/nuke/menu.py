# vfx_nodes GUI start-up for Nuke: the "VFX Nodes" toolbar menu. Nuke runs menu.py only
# with its GUI, after init.py (which made the package importable). See docs/NUKE.md.
import vfx_nodes.hosts.nuke

vfx_nodes.hosts.nuke.menu()
