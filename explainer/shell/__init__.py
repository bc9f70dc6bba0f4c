"""Explaining crashes without copy and paste: capture at the crash, `why`, `run`, the hook."""
