"""Device mismatches and checkpoints saved on another device: which tensor is on which device,
which side (the data or the model) was not moved, and the `.to(device)` / `map_location` fix.

The wording changed with almost every release (`Expected object of backend CUDA but got backend
CPU`, `... device type cuda ...`, `Tensor for argument #2 'mat1' is on CPU`, `found at least two
devices, cuda:0 and cpu!`, `got mat1 is on cpu, different from other tensors on cuda:0`); the
patterns capture what each says, and this module reduces it to (argument, its device, the
others' device, op).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.dtype import label, source_lines, tensor_type, where_suspect
from explainer.arithmetic.suspects import call_suspect
from explainer.model import Suspect

# Which operand an argument name is, per op (the op name is the method in the message, e.g.
# wrapper_CUDA_addmm, _th_index_select, cudnn_convolution).
PARAM_ROLES = {
    "addmm": {
        "self": "the Linear layer's bias",
        "mat2": "the Linear layer's weight",
        "mat1": "the input of a Linear layer",
    },
    "index_select": {
        "self": "the embedding table (or the indexed tensor)",
        "index": "the index tensor (e.g. token ids)",
    },
    "embedding": {"weight": "the embedding table", "indices": "the index tensor (token ids)"},
    "conv": {
        "self": "the input of a convolution",
        "input": "the input of a convolution",
        "weight": "the convolution's weight",
        "bias": "the convolution's bias",
    },
    "nll_loss": {
        "self": "the model output (log-probabilities)",
        "target": "the target tensor",
        "weight": "the loss's class-weight tensor",
    },
    "batch_norm": {
        "input": "the input of a BatchNorm",
        "weight": "the BatchNorm's weight",
        "bias": "the BatchNorm's bias",
        "running_mean": "the BatchNorm's running_mean",
        "running_var": "the BatchNorm's running_var",
    },
    "layer_norm": {"input": "the input of a LayerNorm", "weight": "the LayerNorm's weight"},
    "mm": {"self": "the first matrix", "mat1": "the first matrix", "mat2": "the second matrix"},
    "bmm": {"self": "the first batch of matrices", "mat2": "the second batch of matrices"},
    "cat": {"tensors": "one of the tensors being concatenated"},
}
PARAM_SIDE = {"weight", "bias", "mat2", "running_mean", "running_var"}
DATA_SIDE = {"mat1", "input", "index", "indices", "target", "tensors", "other", "src", "mask"}


def norm_device(raw: str | None) -> str | None:
    """`GPU 0` -> `cuda:0`, `CUDA` -> `cuda`, `CPU` -> `cpu`, a bare index -> `cuda:N`."""
    if raw is None:
        return None
    text = str(raw).strip().strip("'\"`!").lower()
    if not text:
        return None
    text = text.replace("gpu", "cuda").replace(" ", ":")
    if text.isdigit():
        return f"cuda:{text}"
    return text


def kind(device: str) -> str:
    return device.split(":", 1)[0]


def op_family(op: str) -> str:
    """`wrapper_CUDA_addmm`, `_th_addmm`, `addmm_out_cuda` -> `addmm`."""
    low = op.lower()
    for name in (
        "index_select",
        "embedding",
        "nll_loss",
        "batch_norm",
        "layer_norm",
        "addmm",
        "bmm",
        "conv",
        "scatter",
        "gather",
        "index_put",
        "where",
    ):
        if name in low:
            return name
    if re.search(r"(?:^|_)cat(?:$|_)", low):
        return "cat"
    if re.search(r"(?:^|_)mm(?:$|_)", low) or low.endswith("mm"):
        return "mm"
    return low


@dataclass
class DeviceFacts:
    argument: str | None  # the argument the check named
    arg_device: str | None  # where that argument is
    other_device: str | None  # where the other tensors are
    op: str


def facts(ctx: Context) -> DeviceFacts:
    """The argument, its device and the others' device, whatever the wording."""
    argument = ctx.get("argument")
    op = str(ctx.get("op") or "")
    arg_dev = norm_device(ctx.get("arg_device"))
    other = norm_device(ctx.get("other_device", "expected_device"))
    t_exp, t_got = tensor_type(ctx.get("expected_type")), tensor_type(ctx.get("got_type"))
    if t_exp and t_got:
        # `Expected object of type torch.cuda.FloatTensor but found type torch.FloatTensor`
        other, arg_dev = t_exp[0], t_got[0]
    d1, d2 = norm_device(ctx.get("device1")), norm_device(ctx.get("device2"))
    if d1 and d2:
        # `found at least two devices, A and B! (... argument X ...)`: A is the common device
        # found so far, B the device of argument X.
        other, arg_dev = d1, d2
    return DeviceFacts(
        argument=str(argument) if argument else None, arg_device=arg_dev, other_device=other, op=op
    )


def role(argument: str | None, op: str) -> str:
    if not argument:
        return "one of the tensors"
    table = PARAM_ROLES.get(op_family(op), {})
    return table.get(argument, f"argument '{argument}'")


def is_param_side(argument: str | None, op: str) -> bool | None:
    """Whether the named argument is a model parameter (True) or data (False); None: unknown."""
    if not argument:
        return None
    fam = op_family(op)
    if argument == "self":
        if fam in ("addmm", "index_select", "embedding"):
            return True
        if fam in ("conv", "nll_loss"):
            return False
        return None
    if fam in ("mm", "bmm", "scatter", "gather", "where", "cat"):
        # plain tensor ops: either operand may be the one left behind
        return False if argument in ("index", "indices", "target") else None
    if argument in PARAM_SIDE:
        return True
    if argument in DATA_SIDE:
        return False
    return None


def target_device(a: str | None, b: str | None, param_device: str | None = None) -> str | None:
    """The device everything should move to: the accelerator, or the parameters' device."""
    devices = [d for d in (a, b) if d]
    if not devices:
        return None
    real = [d for d in devices if kind(d) != "meta"]
    if len(real) < len(devices):
        return real[0] if real else "cpu"
    accel = [d for d in devices if kind(d) != "cpu"]
    if param_device and (len(accel) != 1 or kind(param_device) != "cpu"):
        return param_device
    if len(accel) == 2 and b:
        return b  # two GPUs: keep the device the other tensors are on
    return accel[0] if accel else devices[0]


# -- tensors on two devices ---------------------------------------------------------------------
# Wordings that name no device: what they mean, from the code that raises them.
BARE_WORDINGS = (
    (r"indices\s+must\s+be\s+on\s+the\s+current\s+device", "index", "cpu", "cuda", "index_select"),
    (r"Placeholder\s+storage\s+has\s+not\s+been\s+allocated\s+on\s+MPS", None, "cpu", "mps", ""),
    (r"located\s+on\s+different\s+GPUs", None, "cuda:1", "cuda:0", ""),
)


def same_device(ctx: Context) -> Reasoning:
    """`Expected all tensors to be on the same device ...` and its predecessors."""
    f = facts(ctx)
    for pattern, argument, arg_dev, other, op in BARE_WORDINGS:
        if not f.arg_device and re.search(pattern, ctx.message):
            f = DeviceFacts(argument=argument, arg_device=arg_dev, other_device=other, op=op)
            break
    if f.arg_device and f.other_device and f.arg_device == f.other_device:
        raise Decline("one device named twice")
    if f.arg_device and f.other_device and "meta" in (kind(f.arg_device), kind(f.other_device)):
        raise Decline("a meta tensor: the meta entry explains it")
    r = Reasoning()
    who = role(f.argument, f.op)
    param = is_param_side(f.argument, f.op)
    r.values.update(
        arg_subject=who[:1].upper() + who[1:],
        arg_desc=who,
        arg_device=f.arg_device or "another device",
        other_device=f.other_device or "another device",
        op_desc=_op_text(f.op),
    )
    if f.arg_device and f.other_device:
        r.steps.append(
            f"{who[:1].upper() + who[1:]} is on {f.arg_device}; the other tensors of "
            f"{_op_text(f.op)} are on {f.other_device}."
        )
    param_device = None
    if param is True:
        param_device = f.arg_device
        r.values["moved_side"] = "the model"
        r.values["diagnosis"] = (
            f"{who} is on {f.arg_device} while the data is on {f.other_device}: this part of the "
            "model was not moved with the rest. Layers kept in a plain Python list, tensors "
            "stored as plain attributes (not nn.Parameter / register_buffer), and layers created "
            "after model.to(device) or inside forward() all stay behind"
        )
    elif param is False:
        param_device = f.other_device
        r.values["moved_side"] = "the data"
        r.values["diagnosis"] = (
            f"{who} is on {f.arg_device} while the model is on {f.other_device}: the batch (or a "
            "tensor created in forward() without device=) was not moved to the model's device"
        )
    else:
        r.values["moved_side"] = "the model and every tensor it uses"
        r.values["diagnosis"] = (
            "an op received tensors on two devices: usually the model was moved with "
            ".to(device) and the data was not (or the reverse), or a tensor created inside "
            "forward() defaults to the CPU"
        )
    if _two_gpus(f.arg_device, f.other_device):
        return _gpu_to_gpu(ctx, r, f, param)
    r.steps.append(r.values["diagnosis"] + ".")
    device = target_device(f.arg_device, f.other_device, param_device)
    if device:
        r.fix_values["device"] = device
    r.values["device"] = device or "cuda"
    r.values["fix_text"] = (
        f"Put the model and every tensor it uses on one device ({r.values['device']})."
    )
    r.fix_code = _move_code(device or "cuda", param)
    _device_suspects(ctx, r, param)
    return r


def _two_gpus(a: str | None, b: str | None) -> bool:
    return bool(a and b and a != b and kind(a) == kind(b) == "cuda")


DP_HINTS = re.compile(r"DataParallel|parallel_apply|replicate\.py|scatter_gather|data_parallel\.py")
MAP_HINTS = re.compile(
    r"device_map|hf_device_map|accelerate[/\\.]|accelerate\b|hooks\.py|from_pretrained|"
    r"\bpipeline\(|transformers[/\\]",
    re.I,
)


def _gpu_to_gpu(ctx: Context, r: Reasoning, f: DeviceFacts, param: bool | None) -> Reasoning:
    """Two GPUs, no CPU: a model split over GPUs (device_map="auto", model parallel) or
    DataParallel replicas meeting a tensor pinned to one GPU."""
    text = ctx.parsed.text + " " + " ".join(fr.file for fr in ctx.parsed.all_frames)
    dp = bool(DP_HINTS.search(text))
    mapped = bool(MAP_HINTS.search(text))
    a, b = f.arg_device, f.other_device
    r.steps.append(
        f"Both devices are GPUs ({b} and {a}): the CPU is not involved, so this is not a "
        "forgotten .to(device). Two GPUs meet in one op when the model is spread over several "
        "GPUs, or when a tensor is pinned to a fixed GPU while the computation runs on another."
    )
    causes = []
    if dp or not mapped:
        causes.append(
            "nn.DataParallel runs a replica of the model on each GPU: a tensor created in "
            "forward() with .cuda() / .to('cuda:0') (instead of device=x.device), or kept as a "
            "plain attribute rather than a registered buffer, stays on one GPU while the "
            "replica runs on another"
        )
    if mapped or not dp:
        causes.append(
            'a model split over GPUs (device_map="auto" in transformers/accelerate, or a '
            "hand-made model-parallel split): the inputs, or a tensor built along the way, "
            "were sent to a fixed GPU instead of the device of the layer that uses them, or a "
            "submodule was called directly, bypassing the hooks that move its inputs"
        )
    causes.append(
        "parts loaded or moved to different GPUs (map_location, torch.cuda.set_device, "
        "CUDA_VISIBLE_DEVICES differing between the model and the data code)"
    )
    setup = (
        "nn.DataParallel replicas"
        if dp and not mapped
        else 'a model split over GPUs (device_map="auto", model parallel)'
        if mapped and not dp
        else 'a model spread over GPUs (device_map="auto", model parallel, DataParallel)'
    )
    r.values["diagnosis"] = (
        f"{r.values['arg_desc']} is on {a} and the other tensors on {b}: two GPUs and no CPU, "
        f"the mark of {setup} meeting a tensor pinned to a fixed GPU instead of following the "
        "layer that uses it (see the causes below)"
    )
    r.steps.append(
        "Usual causes: " + "; ".join(f"({i}) {c}" for i, c in enumerate(causes, start=1)) + "."
    )
    r.values["moved_side"] = "each tensor"
    r.values["device"] = "the device of the layer that uses it (x.device, or model.device)"
    r.values["fix_text"] = (
        "Create and move tensors to the device of the layer that uses them (device=x.device, "
        "inputs.to(model.device)), never to a fixed GPU; or keep the whole model on one GPU."
    )
    r.fix_values["same_device_as"] = "input"
    if b:
        r.fix_values["device"] = b  # where the rest of the op already is
    lines = [
        "# inside forward(): follow the input, never a fixed GPU",
        "mask = torch.ones(n, device=x.device)   # not .cuda() / .to('cuda:0')",
    ]
    if mapped or not dp:
        lines += [
            '# device_map="auto": send the inputs to the first layer\'s device',
            "inputs = inputs.to(model.device)   # print(model.hf_device_map) shows the split",
            '# or keep the whole model on one GPU: device_map={"": 0} (or CUDA_VISIBLE_DEVICES=0)',
        ]
    if dp or not mapped:
        lines += [
            "# DataParallel: register tensors the model owns so every replica gets a copy",
            'self.register_buffer("mask", torch.ones(n))   # not self.mask = torch.ones(n).cuda()',
        ]
    r.fix_code = "\n".join(lines)
    r.suspects.extend(
        source_lines(
            ctx,
            r"\.cuda\(\s*\d*\s*\)|\.to\(\s*['\"]cuda:\d+['\"]|device\s*=\s*['\"]cuda:\d+['\"]",
            "pins a tensor to a fixed GPU",
            0.6,
        )
    )
    r.suspects.extend(where_suspect(ctx, "the call that mixes devices", 0.45))
    r.confidence = 0.85
    return r


def _op_text(op: str) -> str:
    fam = op_family(op)
    return {
        "addmm": "an nn.Linear (addmm)",
        "index_select": "an index_select / nn.Embedding",
        "embedding": "an nn.Embedding",
        "nll_loss": "the loss (nll_loss / cross_entropy)",
        "conv": "a convolution",
        "batch_norm": "a BatchNorm",
        "layer_norm": "a LayerNorm",
        "mm": "a matrix product",
        "bmm": "a batched matrix product",
        "cat": "torch.cat",
    }.get(fam, f"the op ({op})" if op else "the op")


def _move_code(device: str, param: bool | None) -> str:
    head = (
        f'device = torch.device("{device}")'
        if kind(device) != "cuda"
        else 'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")'
    )
    lines = [head, "model = model.to(device)"]
    if param is True:
        lines += [
            "# everything the model owns must be registered to move with it:",
            "#   self.blocks = nn.ModuleList([...])        # not a plain list",
            '#   self.register_buffer("mask", torch.ones(n))  # not self.mask = torch.ones(n)',
        ]
    lines += [
        "for inputs, targets in loader:",
        "    inputs, targets = inputs.to(device), targets.to(device)",
        "# tensors made inside forward(): torch.zeros(..., device=x.device)",
    ]
    return "\n".join(lines)


def _device_suspects(ctx: Context, r: Reasoning, param: bool | None) -> None:
    if param is not False:
        r.suspects.extend(_unregistered(ctx))
    if param is not True:
        r.suspects.extend(
            source_lines(
                ctx,
                r"torch\.(?:zeros|ones|arange|randn|rand|empty|full|eye|tensor|linspace)\((?![^)]*device)",
                "creates a tensor on the default device (no device=)",
                0.55,
            )
        )
        r.suspects.extend(
            source_lines(
                ctx,
                r"for\s+.+\s+in\s+.*(?:loader|dataset|batch)",
                "the batch comes from here and is not moved to the device",
                0.5,
                limit=1,
            )
        )
    r.suspects.extend(where_suspect(ctx, "the call that mixes devices", 0.45))


def _unregistered(ctx: Context) -> list[Suspect]:
    """`self.layers = [nn.Linear(...)]` and `self.mask = torch.ones(...)` in `__init__`: neither
    moves with model.to(device)."""
    found: list[Suspect] = []
    for call in ctx.source.calls():
        if call.function != "__init__" or not call.target or not call.target.startswith("self."):
            continue
        if call.func.startswith("torch.") and call.name in (
            "zeros",
            "ones",
            "randn",
            "rand",
            "tensor",
            "arange",
            "eye",
            "full",
            "empty",
            "linspace",
            "from_numpy",
            "Tensor",
            "FloatTensor",
            "LongTensor",
        ):
            found.append(
                call_suspect(
                    call,
                    "a plain tensor attribute: model.to(device) does not "
                    "move it (use register_buffer or nn.Parameter)",
                    0.8,
                )
            )
    for path in ctx.source.files():
        for lineno, line in enumerate(ctx.source.lines(path) or [], start=1):
            if re.search(r"self\.\w+\s*=\s*\[.*nn\.\w+\(", line):
                found.append(
                    Suspect(
                        path,
                        lineno,
                        line.strip(),
                        "layers in a plain list are not "
                        "registered: model.to(device) skips them (use nn.ModuleList)",
                        0.8,
                    )
                )
    return found


def conv_type_device(ctx: Context) -> Reasoning:
    """`Input type (torch.FloatTensor) and weight type (torch.cuda.FloatTensor) should be the
    same`: the types name two devices."""
    t_in, t_w = tensor_type(ctx.get("input_type")), tensor_type(ctx.get("weight_type"))
    if not t_in or not t_w or t_in[0] == t_w[0]:
        raise Decline("no device difference")
    r = Reasoning()
    dev_in, dev_w = t_in[0], t_w[0]
    r.values.update(
        input_device=dev_in,
        weight_device=dev_w,
        input_type=ctx.get("input_type"),
        weight_type=ctx.get("weight_type"),
    )
    r.steps.append(
        f"{ctx.get('input_type')} is a {label(t_in[1])} tensor on {dev_in}; "
        f"{ctx.get('weight_type')} a {label(t_w[1])} tensor on {dev_w}. The 'type' "
        "names both the device (torch.cuda.* = GPU, torch.* = CPU) and the dtype."
    )
    if t_in[1] != t_w[1]:
        r.steps.append(
            f"The dtypes differ too ({label(t_in[1])} vs {label(t_w[1])}): cast as well as move."
        )
    if dev_in == "cpu":
        r.values["diagnosis"] = (
            f"the model is on {dev_w} but the input was left on the CPU: "
            "move each batch to the model's device"
        )
        param: bool | None = False
        device = dev_w
    else:
        r.values["diagnosis"] = (
            f"the input is on {dev_in} but the convolution's weight is on "
            f"{dev_w}: the model (or this layer) was not moved"
        )
        param = True
        device = dev_in
    r.steps.append(r.values["diagnosis"][:1].upper() + r.values["diagnosis"][1:] + ".")
    r.fix_values["device"] = "cuda" if device == "cuda" else device
    r.values["device"] = device
    r.fix_code = _move_code(device, param)
    _device_suspects(ctx, r, param)
    return r


def index_device(ctx: Context) -> Reasoning:
    """`indices should be either on cpu or on the same device as the indexed tensor (cpu)`."""
    dev = norm_device(ctx.get("indexed_device")) or "cpu"
    r = Reasoning()
    r.values.update(indexed_device=dev)
    r.steps.append(
        f"The indexed tensor is on {dev}; the index tensor is on another device (a "
        "GPU). Indices may be on the CPU or on the indexed tensor's device."
    )
    r.fix_values["device"] = dev
    r.fix_code = f'values = tensor[idx.to(tensor.device)]   # here idx.to("{dev}")'
    r.suspects.extend(where_suspect(ctx, "indexes a tensor with indices on another device", 0.6))
    return r


META_HINTS = (
    r"device\s*=\s*[\"']meta|torch\.device\([\"']meta|\.to\([\"']meta|to_empty|"
    r"init_empty_weights|low_cpu_mem_usage|device_map|skip_init|empty_weights"
)


def meta_device(ctx: Context) -> Reasoning:
    """`Tensor on device meta is not on the expected device cpu!` and any mismatch with `meta`."""
    f = facts(ctx)
    devices = [d for d in (f.arg_device, f.other_device) if d]
    if "meta" not in [kind(d) for d in devices]:
        raise Decline("no meta device")
    real = next((d for d in devices if kind(d) != "meta"), "cpu")
    r = Reasoning()
    r.values.update(real_device=real, meta_first=kind(f.arg_device or "") == "meta")
    r.steps.append(
        f"A tensor on the meta device met one on {real}. Meta tensors have a shape and "
        "a dtype but no data: they come from building a model under "
        "torch.device('meta') / init_empty_weights (accelerate) / device_map "
        "offloading, or model.to('meta')."
    )
    noop = any("meta parameter" in w.message and "no-op" in w.message for w in ctx.parsed.warnings)
    if noop:
        r.steps.append(
            "The warning above says why: load_state_dict copied into meta parameters, "
            "which is a no-op without assign=True, so the weights never arrived."
        )
        r.values["diagnosis"] = (
            "the model was built on the meta device and load_state_dict "
            "without assign=True left its parameters there"
        )
        r.fix_code = (
            "model.load_state_dict(state, assign=True)   # replaces the meta tensors\n"
            f'# or: model.to_empty(device="{real}"), then load_state_dict(state)'
        )
    else:
        r.values["diagnosis"] = (
            "part of the model (or a tensor) is still on the meta device: "
            "its real weights were never loaded"
        )
        r.fix_code = (
            f'model = model.to_empty(device="{real}")   # allocate real storage\n'
            "model.load_state_dict(state)   # then fill it (or load with assign=True)"
        )
    r.fix_values["device"] = real
    load_calls = [c for c in ctx.source.calls("load_state_dict") if "assign" not in c.kwargs]
    for call in load_calls[:2]:
        r.suspects.append(
            call_suspect(
                call,
                "copies into meta parameters: a no-op without assign=True",
                0.85 if noop else 0.6,
            )
        )
    r.suspects.extend(source_lines(ctx, META_HINTS, "puts the model on the meta device", 0.75))
    r.suspects.extend(meta_block_lines(ctx))
    r.suspects.extend(where_suspect(ctx, "uses the meta tensor", 0.4))
    return r


def meta_block_lines(ctx: Context) -> list[Suspect]:
    """Statements inside `with torch.device("meta"):`: everything they create is on meta."""
    found: list[Suspect] = []
    for path in ctx.source.files():
        lines = ctx.source.lines(path) or []
        try:
            tree = ast.parse("\n".join(lines))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.With):
                continue
            if not any("meta" in ast.unparse(item.context_expr) for item in node.items):
                continue
            for stmt in node.body:
                code = lines[stmt.lineno - 1].strip() if stmt.lineno <= len(lines) else ""
                tensor = re.search(
                    r"torch\.(?:tensor|zeros|ones|randn|rand|empty|full|arange|eye|linspace)\(",
                    code,
                )
                reason = (
                    "created inside the meta-device block: a tensor without data"
                    if tensor
                    else "built inside the meta-device block: its parameters have no data "
                    "until loaded with assign=True or to_empty()"
                )
                found.append(Suspect(path, stmt.lineno, code, reason, 0.72 if tensor else 0.65))
    return found


def meta_no_data(ctx: Context) -> Reasoning:
    """`Cannot copy out of meta tensor; no data!`: .to(device) on a model that lives on meta."""
    r = Reasoning()
    dest = "cpu"
    where = ctx.where
    code = (where.code or "") if where else ""
    m = re.search(r"\.to\(\s*[\"']?([\w:]+)", code)
    if m and m[1] not in ("device", "self"):
        dest = m[1]
    r.values["dest"] = dest
    r.steps.append(
        "Module.to(device) copies every parameter to the new device. Meta tensors "
        "hold no data, so there is nothing to copy."
    )
    r.fix_values["method"] = "to_empty"
    r.fix_code = (
        "model = model.to_empty(device=device)   # allocate, uninitialised\n"
        "model.load_state_dict(state)   # then load (or initialise) the weights\n"
        "# or build the model on a real device if you did not mean meta"
    )
    r.suspects.extend(where_suspect(ctx, "moves a meta model with .to()", 0.7))
    r.suspects.extend(source_lines(ctx, META_HINTS, "builds the model on the meta device", 0.65))
    return r


def to_numpy(ctx: Context) -> Reasoning:
    """`can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() ...`."""
    dev = norm_device(ctx.get("tensor_device")) or "cuda"
    r = Reasoning()
    r.values["tensor_device"] = dev
    if kind(dev) == "meta":
        r.values["diagnosis"] = (
            "a meta tensor has no data at all: it comes from a model built "
            "on the meta device whose weights were never loaded"
        )
        r.fix_code = "model.load_state_dict(state, assign=True)   # real weights first"
    else:
        r.values["diagnosis"] = (
            f"numpy arrays live in host memory and the tensor is on {dev}: "
            "copy it to the CPU first (and detach it if it needs grad)"
        )
        r.fix_code = "array = tensor.detach().cpu().numpy()"
    r.fix_values["device"] = "cpu"
    r.steps.append(r.values["diagnosis"][:1].upper() + r.values["diagnosis"][1:] + ".")
    r.suspects.extend(where_suspect(ctx, "converts a device tensor to numpy", 0.7))
    r.suspects.extend(
        source_lines(ctx, r"\.numpy\(\)|np\.(?:array|asarray)\(", "a numpy conversion", 0.5)
    )
    return r


def not_compiled(ctx: Context) -> Reasoning:
    """`Torch not compiled with CUDA enabled`: a CPU-only build asked for CUDA."""
    r = Reasoning()
    r.steps.append(
        "The installed torch wheel is a CPU-only build (torch.version.cuda is None), "
        "so anything that asks for CUDA (.cuda(), .to('cuda'), device='cuda') fails."
    )
    r.fix_values["device"] = "cpu"
    r.fix_code = (
        'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
        "model = model.to(device)\n"
        "# or, with an NVIDIA GPU, install a CUDA build: "
        "pip install torch --index-url https://download.pytorch.org/whl/cu126"
    )
    r.suspects.extend(
        source_lines(
            ctx,
            r"[\"']cuda(?::\d+)?[\"']|\.cuda\(\)|torch\.cuda\.(?!is_available)",
            "asks for CUDA unconditionally",
            0.8,
        )
    )
    r.suspects.extend(where_suspect(ctx, "the call that needed CUDA", 0.5))
    return r


def data_parallel(ctx: Context) -> Reasoning:
    """`module must have its parameters and buffers on device cuda:0 (device_ids[0]) but found one
    of them on device: cpu`."""
    want, got = norm_device(ctx.get("expected_device")), norm_device(ctx.get("arg_device"))
    r = Reasoning()
    r.values.update(expected_device=want or "cuda:0", found_device=got or "cpu")
    r.steps.append(
        f"nn.DataParallel scatters the batch from device_ids[0] ({want}) and expects "
        f"the wrapped model there; one of its parameters or buffers is on {got}."
    )
    r.fix_values["device"] = want or "cuda:0"
    r.fix_code = (
        f'model = model.to("{want or "cuda:0"}")   # before (or after) wrapping\n'
        "model = nn.DataParallel(model)"
    )
    r.suspects.extend(
        source_lines(ctx, r"DataParallel\(", "wraps a model that is not on device_ids[0]", 0.7)
    )
    r.suspects.extend(_unregistered(ctx))
    return r


# -- torch.load on another device ---------------------------------------------------------------
def _load_suspects(ctx: Context, reason: str) -> list[Suspect]:
    found = []
    for call in ctx.source.calls("load"):
        if not (call.func.endswith("torch.load") or call.func == "load"):
            continue
        score = 0.9 if "map_location" not in call.kwargs else 0.7
        found.append(call_suspect(call, reason, score))
    if not found:
        found = where_suspect(ctx, reason, 0.6)
    return found


def _load_arg(ctx: Context) -> str:
    """The path argument of the user's torch.load call, else PATH."""
    for call in ctx.source.calls("load"):
        if call.func.endswith("torch.load") and call.args:
            return call.args[0]
    return "PATH"


def deserialize_unavailable(ctx: Context) -> Reasoning:
    """`Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is
    False`."""
    backend = str(ctx.get("backend") or "CUDA").upper()
    r = Reasoning()
    r.values.update(backend=backend, backend_mod=backend.lower())
    r.steps.append(
        f"The checkpoint's tensors were saved on a {backend} device, and torch.load "
        "restores each tensor on the device it was saved from."
    )
    r.steps.append(
        f"This machine (or this torch build) has no usable {backend} device "
        f"(torch.{backend.lower()}.is_available() is False): a CPU-only wheel, no "
        "GPU, or CUDA_VISIBLE_DEVICES hiding them."
    )
    r.fix_values["map_location"] = "cpu"
    r.fix_code = (
        f'checkpoint = torch.load({_load_arg(ctx)}, map_location="cpu")\n'
        "model.load_state_dict(checkpoint)\n"
        "model.to(device)   # then move it wherever you run"
    )
    r.suspects.extend(
        _load_suspects(
            ctx,
            "torch.load without map_location: restores the tensors "
            f"on {backend}, which this machine lacks",
        )
    )
    return r


def deserialize_device_count(ctx: Context) -> Reasoning:
    """`Attempting to deserialize object on CUDA device 3 but torch.cuda.device_count() is 2`."""
    index, count = ctx.get("device_index"), ctx.get("device_count")
    if not isinstance(index, int) or not isinstance(count, int):
        raise Decline("numbers missing")
    backend = str(ctx.get("backend") or "CUDA").upper()
    mod = backend.lower()
    r = Reasoning()
    existing = ", ".join(f"{mod}:{i}" for i in range(count)) if count else "none"
    r.values.update(
        backend=backend, existing=existing, saved_device=f"{mod}:{index}", max_index=count - 1
    )
    r.steps.append(
        f"The checkpoint's tensors were saved on {mod}:{index} (torch.load puts each "
        "tensor back on the device it was saved from)."
    )
    r.steps.append(
        f"This machine has {count} device(s), {existing}: valid indices are 0 … "
        f"{count - 1}, and {index} ≥ {count}."
    )
    target = f"{mod}:0" if count > 0 else "cpu"
    r.fix_values["map_location"] = target
    r.values["target"] = target
    r.fix_code = (
        f'checkpoint = torch.load({_load_arg(ctx)}, map_location="{target}")\n'
        f'# or remap only that device: map_location={{"{mod}:{index}": "{target}"}}\n'
        '# or map_location="cpu", then model.to(device)'
    )
    r.suspects.extend(
        _load_suspects(
            ctx, f"torch.load without map_location: restores the tensors on {mod}:{index}"
        )
    )
    return r


def meta_load_noop(ctx: Context) -> Reasoning:
    """UserWarning `for fc.weight: copying from a non-meta parameter in the checkpoint to a meta
    parameter in the current model, which is a no-op`."""
    key = str(ctx.get("param") or "the parameters")
    r = Reasoning()
    r.values["param"] = key
    r.steps.append(
        f"{key} lives on the meta device (shape only, no storage); load_state_dict copies into "
        "the existing parameters, and a copy into storage that does not exist does nothing."
    )
    r.steps.append(
        "The model keeps no weights: its next forward fails with a device error, or a later "
        ".to() with 'Cannot copy out of meta tensor'."
    )
    r.fix_values["assign"] = True
    r.fix_code = (
        "model.load_state_dict(state, assign=True)   # use the checkpoint's tensors as parameters\n"
        '# or: model.to_empty(device="cpu"); model.load_state_dict(state)'
    )
    for call in ctx.source.calls("load_state_dict"):
        if "assign" not in call.kwargs:
            r.suspects.append(
                call_suspect(call, "loads into meta parameters without assign=True", 0.85)
            )
    r.suspects.extend(meta_block_lines(ctx))
    return r
