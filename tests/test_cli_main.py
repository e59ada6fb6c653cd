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
