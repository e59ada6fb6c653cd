"""Colour management through OpenColorIO, and premultiplication (one scene-linear ↔ working-space boundary)."""
