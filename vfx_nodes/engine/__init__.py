"""The engine: pure functions on plates — stylize, tiling, device and precision choice, sequences."""
