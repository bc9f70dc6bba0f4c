"""Recognise traceback frame lines (CPython, IPython layouts); tell user code from libraries."""

from __future__ import annotations

import re
from dataclasses import dataclass

# CPython: `  File "/path/x.py", line 12, in forward`
PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+?))?\s*$')
# IPython >= 8.5: `Cell In[3], line 12` or `Cell In[3], line 8, in Net.forward(self, x)`
CELL_FRAME = re.compile(
    r"^\s*Cell\s+In\s*\[(?P<cell>[^\]]*)\],\s*line\s+(?P<line>\d+)(?:,\s*in\s+(?P<func>.+?))?\s*$"
)
# IPython >= 8.5 library frame: `File ~/x/module.py:1501, in Module._call_impl(self, *args)`
IPY_FILE_FRAME = re.compile(
    r"^\s*File\s+(?P<file>(?:[A-Za-z]:)?[^:\"]+?):(?P<line>\d+),\s*in\s+(?P<func>.+?)\s*$"
)
# IPython 8.0-8.4: `Input In [3], in <cell line: 1>()`
INPUT_FRAME = re.compile(r"^\s*Input\s+In\s*\[(?P<cell>[^\]]*)\],\s*in\s+(?P<func>.+?)\s*$")
# IPython 7: `<ipython-input-5-2b0b> in <module>()` or `/path/module.py in _call_impl(self, *input)`
OLD_IPY_FRAME = re.compile(
    r"^\s*(?P<file><ipython-input-[^>]+>|(?:[A-Za-z]:)?[\\/~][^\s]*?\.pyx?)\s+in\s+"
    r"(?P<func><[^>]+>|[\w.]+)\(.*$"
)
# IPython source context: `---> 12 y = model(x)` marks the current line; `     11 x = 1` is context.
ARROW_LINE = re.compile(r"^\s*-*>\s*(?P<line>\d+)(?:\s(?P<code>.*))?$")
CONTEXT_LINE = re.compile(r"^\s+\d+\s")
CARETS = re.compile(r"^\s*[\^~]+[\s\^~]*$")

LIBRARY_MARKERS = (
    "site-packages",
    "dist-packages",
    "<frozen ",
    "/lib/python",
    "\\lib\\python",
    "\\Lib\\",
    "/lib64/python",
    "/usr/lib/",
    "/torch/nn/",
    "/torch/_",
    "/torch/utils/",
    "/torch/autograd/",
    "/torch/cuda/",
    "/torch/distributed/",
    "/torch/fx/",
    "/torch/optim/",
    "/torch/jit/",
    "/torch/functional.py",
    "/torch/serialization.py",
    "/.pyenv/",
    "/conda/lib/",
    "/miniconda",
    "/anaconda",
    "/opt/conda/",
    "<string>",
    "<__array_function__",
)
USER_MARKERS = ("<ipython-input", "Cell In", "Input In", "/tmp/ipykernel_", "\\Temp\\ipykernel_")


@dataclass
class FrameHead:
    """A frame's first line, before its source line is known."""

    file: str
    line: int | None
    function: str | None
    ipython: bool
    indent: int = 0  # columns before `File`: a frame's source lines are indented further


def match_frame_head(line: str) -> FrameHead | None:
    m = PY_FRAME.match(line)
    if m:
        indent = len(line) - len(line.lstrip(" \t"))
        return FrameHead(m["file"], int(m["line"]), _clean_func(m["func"]), False, indent)
    m = CELL_FRAME.match(line)
    if m:
        return FrameHead(f"Cell In[{m['cell']}]", int(m["line"]), _clean_func(m["func"]), True)
    m = INPUT_FRAME.match(line)
    if m:
        return FrameHead(f"Input In [{m['cell']}]", None, _clean_func(m["func"]), True)
    m = IPY_FILE_FRAME.match(line)
    if m and not line.lstrip().startswith('File "'):
        return FrameHead(m["file"].strip(), int(m["line"]), _clean_func(m["func"]), True)
    m = OLD_IPY_FRAME.match(line)
    if m:
        return FrameHead(m["file"], None, _clean_func(m["func"]), True)
    return None


def _clean_func(func: str | None) -> str | None:
    """`Net.forward(self, x)` -> `Net.forward`; `<cell line: 1>()` -> `<cell line: 1>`."""
    if func is None:
        return None
    func = func.strip()
    if func.startswith("<") and ">" in func:
        return func[: func.index(">") + 1]
    return func.split("(", 1)[0].strip() or func


def is_user_file(path: str) -> bool:
    """Library code is torch, site-packages and the standard library; the rest is the user's."""
    if any(marker in path for marker in USER_MARKERS):
        return True
    normalised = path.replace("\\", "/")
    lowered = normalised.lower()
    if any(marker.lower().replace("\\", "/") in lowered for marker in LIBRARY_MARKERS):
        return False
    return not normalised.startswith("<")
