"""Every ```python block of README.md runs as pasted: alone, in a fresh interpreter, from an empty
directory. The `test_` functions a block defines (hypothesis properties) are called too.

A block whose first line is `# needs: torch, onnxruntime` (packages beyond the install's) is skipped
where one of them is missing, and carries the marker of their extra, so that `-m torch` and
`-m interop` run it where .ci/run installs them."""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# Runs one block (read from stdin) the way a reader would paste it, then calls its test functions.
# Hypothesis's default deadline of 200 ms per example would make the result depend on the machine's
# load, and 100 examples per property add nothing to "the snippet runs", so a profile relaxes both.
DRIVER = """
import sys
from hypothesis import settings
settings.register_profile("readme", max_examples=20, deadline=None)
settings.load_profile("readme")

first_line, source = int(sys.argv[1]), sys.stdin.read()
namespace = {"__name__": "__main__"}
# padded with blank lines, so a traceback names the README's own line numbers
exec(compile("\\n" * (first_line - 1) + source, "README.md", "exec"), namespace)
for name, value in list(namespace.items()):
    if name.startswith("test_") and callable(value):
        value()
        print("passed", name)
"""


def python_blocks():
    """(first line number, source) of each ```python block."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```$", text, flags=re.S | re.M):
        first_line = text.count("\n", 0, match.start(1)) + 1
        blocks.append((first_line, match.group(1)))
    return blocks


BLOCKS = python_blocks()
# the pytest marker (declared in setup.cfg) of the extra each optional package belongs to
MARKERS = {"torch": "torch", "safetensors": "interop", "onnx": "interop", "onnxruntime": "interop"}


def needs(source):
    """The packages a block's `# needs: a, b` first line names."""
    match = re.match(r"# needs: (.*)\n", source)
    return [name.strip() for name in match.group(1).split(",")] if match else []


def block_parameters():
    for first_line, source in BLOCKS:
        marks = sorted({MARKERS[name] for name in needs(source) if name in MARKERS})
        yield pytest.param(first_line, source, marks=[getattr(pytest.mark, mark) for mark in marks],
                           id=f"line-{first_line}")


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 3  # guards the extraction: the quick start, the op and the layer


@pytest.mark.parametrize("first_line, source", list(block_parameters()))
def test_block_runs_as_pasted(first_line, source, tmp_path):
    for name in needs(source):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"README.md block at line {first_line} needs {name}, which is not installed")
    # this checkout's package first, whatever else is installed
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-c", DRIVER, str(first_line)], input=source, cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"README.md block at line {first_line} failed:\n{result.stderr}"
    for name in re.findall(r"^def (test_\w+)", source, flags=re.M):
        assert f"passed {name}\n" in result.stdout, f"{name} was not called"
