"""Regenerate data/examples/*.txt, the bundled tracebacks, by running their zoo programs,
and the README's sample output, which is the first README command's output.

Run from the repository root: `python tests/make_examples.py` (add `--readme` to refresh only
the README). test_docs.py checks that the README shows what explainer prints today.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, ZOO, run_programs  # noqa: E402

EXAMPLES = {
    "view_batch_98_vs_32": "batch_size_mismatch_wikiart_view",
    "lenet_64px": "linear_in_features_lenet_64px",
    "doubleconv_channels": "conv_in_channels_doubleconv_reuse",
    "residual_shortcut": "broadcast_residual_shortcut",
    "detector_head_state_dict": "state_dict_size_detector_head",
    "segmentation_onehot_target": "loss_target_shape_onehot_seg",
    "collate_mixed_crops": "stack_size_collate_crops",
}


def normalise(text: str) -> str:
    """Paths as on a user's machine, so the texts do not depend on where they were made.

    explainer finds `/home/user/project/tests/zoo/x.py` as `tests/zoo/x.py` under the current
    folder, so run from the repository root it still reads the programs' source.
    """
    text = text.replace(str(Path(sys.prefix)) + "/", "/home/user/.venv/")
    return text.replace(str(ROOT) + "/", "/home/user/project/")


def generate() -> dict[str, str]:
    programs = {name: ZOO / f"{stem}.py" for name, stem in EXAMPLES.items()}
    results = run_programs(list(programs.values()))
    return {name: normalise(results[str(path)]["output"]) for name, path in programs.items()}


README_EXAMPLE = "data/examples/view_batch_98_vs_32.txt"
OUTPUT_BLOCK = re.compile(r"(Here is the first command's output.*?```text\n)(.*?)(```)", re.S)


def readme_output() -> str:
    """What `explainer data/examples/...` prints, piped, from the repository root."""
    import subprocess

    env = {**os.environ, "NO_COLOR": "1", "EXPLAINER_NO_HISTORY": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "explainer", README_EXAMPLE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    return proc.stdout


def write_readme() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = OUTPUT_BLOCK.sub(lambda m: m.group(1) + readme_output() + m.group(3), text, count=1)
    readme.write_text(new, encoding="utf-8")
    print("refreshed the sample output in README.md")


if __name__ == "__main__":
    if "--readme" in sys.argv:
        write_readme()
        sys.exit(0)
    out_dir = ROOT / "data" / "examples"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in generate().items():
        (out_dir / f"{name}.txt").write_text(text, encoding="utf-8")
        print(f"wrote data/examples/{name}.txt")
    write_readme()
