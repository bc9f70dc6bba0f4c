"""explainer: turns PyTorch shape errors into the cause, the arithmetic and the fix."""

__version__ = "0.1.0"
