"""Shape errors raised inside image-generation tools (ComfyUI, the Stable Diffusion web UIs,
diffusers): there the model code is not the user's, and a layer that receives the wrong width
almost always means a model file for another architecture was loaded (a VAE, text encoder,
LoRA or ControlNet made for another base model), not a layer to rebuild.

`model_tool(ctx)` names the tool when the traceback or the log shows one; `model_file_story`
gives the cause, the fix and, when the two sizes are the known widths of two model families,
which families they are.
"""

from __future__ import annotations

import re

from explainer.arithmetic import Context, Reasoning
from explainer.arithmetic.shapes import fmt

TOOLS = (
    (
        "ComfyUI",
        re.compile(
            r"ComfyUI|[/\\]comfy[/\\]|comfy_extras|custom_nodes|Load\s+CLIP|CLIP\s+Loader|"
            r"KSampler|SamplerCustom|model_patcher\.py",
            re.I,
        ),
    ),
    (
        "a Stable Diffusion web UI",
        re.compile(
            r"stable-diffusion-webui|sd-webui|webui-forge|[/\\]modules[/\\]sd_\w+\.py|"
            r"extensions-builtin|[/\\]modules[/\\]processing\.py",
            re.I,
        ),
    ),
    ("diffusers", re.compile(r"[/\\]diffusers[/\\]|DiffusionPipeline", re.I)),
)

# Widths that identify a model family: latent channels and encoder feature sizes.
CHANNELS = {
    4: "SD1.x / SD2.x / SDXL latents (4 channels)",
    16: "SD3 / Flux latents (16 channels)",
    128: "LTX-Video latents (128 channels)",
}
FEATURES = {
    768: "CLIP ViT-L text features (SD1.x)",
    1024: "OpenCLIP ViT-H text (SD2.x) or CLIP ViT-L vision features",
    1152: "SigLIP vision features (Flux Redux)",
    1280: "OpenCLIP ViT-bigG features (SDXL)",
    2048: "SDXL's two text encoders concatenated (768 + 1280)",
    4096: "T5-XXL text features (SD3, Flux, LTX-Video, PixArt)",
}


def model_tool(ctx: Context) -> str | None:
    """The image-generation tool the traceback or log runs through, if any. diffusers counts
    only in a frame's path: a link to its repository in the prose says nothing about where the
    error was raised."""
    files = "\n".join(f.file for f in ctx.parsed.all_frames)
    for name, pattern in TOOLS:
        text = files if name == "diffusers" else ctx.parsed.text + "\n" + files
        if pattern.search(text):
            return name
    return None


LOADING = re.compile(r"lora|lycoris|network|patch|load|adapter|controlnet", re.I)


def loads_weights(ctx: Context) -> bool:
    """A frame that merges or loads weights (a LoRA patch, a checkpoint loader)."""
    return any(
        LOADING.search(f.file + " " + (f.function or "") + " " + (f.code or ""))
        for f in ctx.parsed.all_frames
    )


def model_file_story(
    r: Reasoning, tool: str, got: int, expected: int, table: dict[int, str], what: str
) -> tuple[str, str, str]:
    """(cause, fix summary, fix code) for a layer of `tool` that got `got` where it was built
    for `expected`; `what` names the size ("channels", "features")."""
    known = [table[n] for n in (got, expected) if n in table]
    fingerprint = ""
    if len(known) == 2:
        fingerprint = (
            f" {fmt(got)} and {fmt(expected)} are the {what} of two model families: "
            f"{known[0]} against {known[1]}."
        )
        r.steps.append(
            f"{fmt(got)} {what}: {known[0]}; {fmt(expected)} {what}: {known[1]}. The two sides "
            "come from different model families."
        )
    r.steps.append(
        f"The traceback runs through {tool}: its model code is fixed, so the {what} differ "
        "because the files loaded into it do not belong together."
    )
    cause = (
        f" The traceback runs through {tool}, whose model code is not yours to change: a "
        "width mismatch inside it almost always means a model file made for "
        "another architecture was loaded (a checkpoint, VAE, text encoder (CLIP/T5), LoRA, "
        "ControlNet or style/IP-Adapter model for a different base model: SD1.x, SDXL, SD3, "
        f"Flux, …).{fingerprint}"
    )
    fix = (
        "Load files made for the same base model (check the file and type each loader "
        "selects: checkpoint, VAE, CLIP/text encoder, LoRA, ControlNet); do not rebuild the "
        "layer."
    )
    code = (
        "# nothing to change in the code: check each loader node / option\n"
        "# (checkpoint, VAE, CLIP / text encoder and its type, LoRA, ControlNet, style model):\n"
        "# every file must be made for the same base model family"
    )
    r.fix_values["model_files"] = "same base model"
    return cause, fix, code
