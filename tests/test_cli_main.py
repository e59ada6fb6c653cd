"""The console script's frame: help, version, lazy subcommands, error handling."""

import subprocess
import sys

from vfx_nodes.cli.main import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_importing_package_does_not_import_torch():
    code = "import sys, vfx_nodes; vfx_nodes.Plate; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_closed_pipe_exits_quietly():
    # `vfx-style info plate.exr | head -1`: the reader closes the pipe while the command
    # still writes (1 MB, more than a pipe buffer); no traceback, exit 141 like SIGPIPE.
    child = (
        "import sys, vfx_nodes.cli.info as info\n"
        "from vfx_nodes.cli.main import main\n"
        "def run(args):\n"
        "    for _ in range(20000): print('x' * 50)\n"
        "    return 0\n"
        "info.run = run\n"
        "sys.exit(main(['info', 'plate.exr']))\n"
    )
    p = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.read(10)
    p.stdout.close()
    err = p.stderr.read().decode()
    p.wait(timeout=60)
    assert "Traceback" not in err, err
    assert p.returncode == 141, (p.returncode, err)


def test_library_errors_become_one_line(capsys, tmp_path):
    missing = tmp_path / "nope.exr"
    assert main(["info", str(missing)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vfx-style info: error:") and "nope.exr" in err[0]


def test_keywords_in_messages_become_flags():
    from vfx_nodes.policy.names import FLAGS, as_flags

    assert as_flags("Check frames=, or pass skip_missing=True to render") == \
        "Check --frames, or pass --skip-missing to render"
    assert as_flags("resume with the same arch= or use another workdir=") == \
        "resume with the same --arch or use another --workdir"
    # other text is left alone: values, attribute paths, other keywords, PLATE=PAINTED
    for text in ("stats='look'", "gen.arch=3", "PLATE=PAINTED", "tile_size=3", "frames"):
        assert as_flags(text) == text
    assert all(flag.startswith("--") for flag in FLAGS.values())


def test_library_warnings_are_printed_with_flags():
    """A library warning naming a keyword (``resume=True``) reads as a flag in the shell."""
    import logging

    from vfx_nodes.cli.main import _FlagFormatter

    record = logging.LogRecord("vfx_nodes.train.loop", logging.WARNING, __file__, 1,
                               "resume=True: no checkpoint in %s; starting from step 0", ("w",), None)
    text = _FlagFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert text == "WARNING vfx_nodes.train.loop: --resume: no checkpoint in w; starting from step 0"
