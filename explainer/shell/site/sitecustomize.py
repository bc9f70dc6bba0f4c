"""Crash capture for every Python started with this folder on PYTHONPATH (`explainer run`,
`explainer shell-init --capture`): loads ../capture.py, then the sitecustomize it shadows.

Kept to the standard library, old syntax and cheap imports (`importlib.machinery` is already
half loaded at start-up; `importlib.util` would pull in contextlib and cost milliseconds): any
Python the user runs imports this file.
"""

import os
import sys


def _explainer_exec(name, loader, path, spec=None):
    module = type(sys)(name)
    module.__file__ = path
    module.__loader__ = loader
    module.__spec__ = spec
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def _explainer_load_capture():
    if "_explainer_capture" in sys.modules:  # a hook installed in site-packages came first
        return
    from importlib.machinery import SourceFileLoader

    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(os.path.dirname(here), "capture.py")
    try:
        module = _explainer_exec(
            "_explainer_capture", SourceFileLoader("_explainer_capture", path), path
        )
        module.install()
    except Exception:
        sys.modules.pop("_explainer_capture", None)


def _explainer_chain():
    """Run the sitecustomize this one hides (Debian's, a conda one, the user's own)."""
    from importlib.machinery import PathFinder

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        _explainer_exec("sitecustomize", spec.loader, spec.origin, spec)


try:
    _explainer_load_capture()
except Exception:
    pass
_explainer_chain()
