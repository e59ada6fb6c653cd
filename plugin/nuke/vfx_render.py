"""Farm render of a script with vfx_nodes groups, in a fixed order (no render_order needed).

    nuke -t plugin/nuke/vfx_render.py script.nk 1001 1100 [Write1,Write2]

Runs every vfx_nodes group's node over the frames, then executes the named Writes
(default: every enabled top-level Write). See docs/NUKE.md.
"""
import sys

import nuke

import vfx_nodes.hosts.nuke

if len(sys.argv) < 4:
    sys.exit("usage: nuke -t vfx_render.py SCRIPT.nk FIRST LAST [WRITE1,WRITE2]")
nuke.scriptOpen(sys.argv[1])
writes = sys.argv[4].split(",") if len(sys.argv) > 4 else None
vfx_nodes.hosts.nuke.render_script(int(sys.argv[2]), int(sys.argv[3]), writes)
