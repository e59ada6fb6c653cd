"""The policy layer: small, dependency-free rules every room may import (no torch, no
OCIO, no image I/O).  Today: the frame grammar (:mod:`.frames`), shared by rendering,
training, the nodes and the Look Lab.  See docs/ARCHITECTURE.md.
"""
