"""explainer: turns PyTorch shape errors into the cause, the arithmetic and the fix."""

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext explainer`: explanations under failed cells (see explainer/ipython_ext.py)."""
    from explainer.ipython_ext import load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    from explainer.ipython_ext import unload

    unload(ipython)
