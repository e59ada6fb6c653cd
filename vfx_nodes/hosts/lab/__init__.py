"""The Look Lab: a plate and a painting in, one click, the styled frame and a look out.

:mod:`.session` holds the state and the jobs without Qt; :mod:`.window` is the PySide6
window over it (standalone: ``vfx-style lab``); :mod:`.nuke` docks the same window as a
Nuke panel.  Importing this package does not import Qt or torch.  See docs/LAB.md.
"""
