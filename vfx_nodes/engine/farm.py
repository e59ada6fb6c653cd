"""Farm jobs for a shot: an Open Job Description template that renders it in chunks.

Pure bookkeeping (no torch, no images): :func:`openjd_template` is what ``vfx-style render
--openjd-template`` prints; the farm runs ``vfx-style render --chunk K/N`` per task
(docs/FARM.md). Open Job Description: https://github.com/OpenJobDescription/openjd-specifications
"""

from __future__ import annotations

import os
from typing import Any

from ..policy.frames import format_frames, parse_frames, split_by_size

__all__ = ["openjd_template"]


def openjd_template(input: str, output: str, look: str, frames: str, *, chunk_size: int = 10,
                    stats_file: str | None = None, extra_args: list[str] | tuple[str, ...] = (),
                    name: str | None = None) -> dict[str, Any]:
    """An Open Job Description job template rendering ``frames`` in chunks.

    One task per chunk (``--chunk K/N``, ``N = ceil(len(frames) / chunk_size)``; chunks
    differ in length by at most one frame). With ``stats_file`` a first step computes the
    shot statistics (``--stats-only``) and the render step depends on it, so every task
    reads the same statistics.

    Args:
        input, output, look: as for ``vfx-style render`` (paths as the farm sees them).
        frames: the whole shot's frame range.
        chunk_size: frames per task (at most).
        stats_file: shot statistics file shared by every task (``None`` = per-frame stats).
        extra_args: more ``vfx-style render`` arguments (knob flags) for every task.
        name: job name (default: from the output pattern).

    Returns:
        The template as a dict (``specificationVersion: jobtemplate-2023-09``); dump it
        as JSON or YAML and submit it (e.g. ``openjd run`` or AWS Deadline Cloud).

    Raises:
        FrameRangeError: bad frame range or chunk size.
    """
    shot = parse_frames(frames)
    n = len(split_by_size(shot, int(chunk_size)))
    text = format_frames(shot)
    common = ["render", "--input", input, "--output", output, "--look", look, "--frames", text,
              *extra_args]
    steps: list[dict[str, Any]] = []
    render_args = common + ["--chunk", f"{{{{Task.Param.Chunk}}}}/{n}"]
    if stats_file:
        render_args += ["--stats", "shot", "--stats-file", stats_file]
        steps.append({
            "name": "ShotStatistics",
            "script": {"actions": {"onRun": {
                "command": "vfx-style",
                "args": common + ["--stats", "shot", "--stats-file", stats_file, "--stats-only"]}}},
        })
    render_step: dict[str, Any] = {
        "name": "Render",
        "parameterSpace": {"taskParameterDefinitions": [{"name": "Chunk", "type": "INT", "range": f"1-{n}"}]},
        "script": {"actions": {"onRun": {"command": "vfx-style", "args": render_args}}},
    }
    if stats_file:
        render_step["dependencies"] = [{"dependsOn": "ShotStatistics"}]
    steps.append(render_step)
    job_name = name or f"vfx-style render {os.path.basename(output)} {text}"
    return {"specificationVersion": "jobtemplate-2023-09", "name": job_name[:128], "steps": steps}
