"""The extension exports PyInit__vmbus and nothing else (the static C++
libraries inside stay private: bindings/python/_vmbus.map)."""

import shutil
import subprocess

import pytest

import vmbus


def test_only_the_module_init_is_exported():
    if shutil.which("nm") is None:
        pytest.skip("nm is not installed")
    out = subprocess.run(["nm", "-D", "--defined-only", vmbus._vmbus.__file__],
                         capture_output=True, text=True, check=True).stdout
    names = [line.split()[-1] for line in out.splitlines() if line.strip()]
    assert names == ["PyInit__vmbus"], names
