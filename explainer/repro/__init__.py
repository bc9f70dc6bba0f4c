"""The reproducer: re-runs the user's model in a sandboxed subprocess and confirms every shape.

The parent side (this process) never imports torch: it finds the code to run from the traceback
(`locate`), writes a job (`job`), starts the child with time and memory limits (`runner`) and
turns what the child reports into a table, sentences and a diff (`confirm`, `render`,
`command`). Only the child (`python -m explainer.repro.child`) imports torch.

What runs in the child, and only on an explicit `explainer repro` or `explain --repro`:

1. The user's file is loaded by `loader`: its `import`s, `def`s, `class`es and constant
   assignments run; the `if __name__ == "__main__":` block and every other statement do not.
2. `replay` then re-runs the statements that lead to the line of the traceback, one at a time,
   with each call checked first: building and calling `nn.Module`s, torch and numpy functions,
   tensor methods, optimizers, `DataLoader`s (with `num_workers=0`), pure builtins and the
   user's own functions and classes run; anything else (`open`, `torch.save` to a path, a bare
   `train(model)`, other libraries) is skipped and its result is unknown.
3. `trace` records every module call and the tensor operations written in the user's files;
   `fastmeta` answers common operations on meta tensors from their shapes.
4. `fixes` turns the explanation's fix and what the run saw into source edits (`patch`), which
   `session` verifies by replaying in-memory copies of the files.
"""
