"""Frame patterns, frame ranges and chunks — re-exported from :mod:`vfx_nodes.policy.frames`,
the project's one frame grammar (kept at this path for existing imports)."""

from ..policy.frames import (  # noqa: F401 - re-exports
    MAX_FRAMES,
    STILL_FRAME,
    FramePattern,
    StillPattern,
    __all__,
    chunk_frames,
    format_frames,
    has_frame_token,
    parse_chunk,
    parse_frames,
    parse_pattern,
    sample_frames,
    split_by_size,
    still_pattern,
)
