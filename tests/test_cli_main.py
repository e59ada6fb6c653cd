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
