"""Image I/O: EXR plates through OpenEXR, PNG/JPEG/TIFF style references (one file ↔ Plate boundary)."""
