"""dtype mismatches: which tensor has which dtype (Double from numpy, Long labels, Half from
.half()), which side should be cast, and the line in the user's code that made the odd dtype.

PyTorch names one dtype many ways across ops and releases: `Double`, `double`, `torch.float64`,
`torch.DoubleTensor`, `CUDADoubleType`, `c10::Half`, `long int`. Everything is normalised to
torch's own names (float32, int64, ...) first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from explainer.arithmetic import Context, Decline, Reasoning
from explainer.arithmetic.suspects import docstring_lines
from explainer.model import Suspect

ALIASES = {
    "float": "float32",
    "float32": "float32",
    "floattensor": "float32",
    "floattype": "float32",
    "double": "float64",
    "float64": "float64",
    "doubletensor": "float64",
    "doubletype": "float64",
    "half": "float16",
    "float16": "float16",
    "c10::half": "float16",
    "halftensor": "float16",
    "halftype": "float16",
    "bfloat16": "bfloat16",
    "c10::bfloat16": "bfloat16",
    "bfloat16tensor": "bfloat16",
    "bfloat16type": "bfloat16",
    "long": "int64",
    "int64": "int64",
    "long int": "int64",
    "long long": "int64",
    "long long int": "int64",
    "__int64": "int64",
    "int64_t": "int64",
    "longtensor": "int64",
    "longtype": "int64",
    "int": "int32",
    "int32": "int32",
    "int32_t": "int32",
    "inttensor": "int32",
    "inttype": "int32",
    "short": "int16",
    "int16": "int16",
    "short int": "int16",
    "shorttensor": "int16",
    "char": "int8",
    "int8": "int8",
    "signed char": "int8",
    "chartensor": "int8",
    "byte": "uint8",
    "uint8": "uint8",
    "unsigned char": "uint8",
    "bytetensor": "uint8",
    "bytetype": "uint8",
    "bool": "bool",
    "booltensor": "bool",
    "booltype": "bool",
    "complexfloat": "complex64",
    "c10::complex<float>": "complex64",
    "complex64": "complex64",
    "complexdouble": "complex128",
    "c10::complex<double>": "complex128",
    "complex128": "complex128",
}
CAST = {
    "float32": ".float()",
    "float64": ".double()",
    "float16": ".half()",
    "bfloat16": ".bfloat16()",
    "int64": ".long()",
    "int32": ".int()",
    "uint8": ".byte()",
    "bool": ".bool()",
    "int16": ".short()",
    "int8": ".char()",
}
TORCH_NAME = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}
FLOATS = {"float32", "float64", "float16", "bfloat16"}
INTS = {"int64", "int32", "int16", "int8", "uint8", "bool"}
# `torch.cuda.HalfTensor`, `CUDAFloatType`, `Variable[CUDAHalfType]`, `MPSFloatType`.
TYPE_NAME = re.compile(
    r"^(?:Variable\[)?(?:torch\.)?(?:(?P<mod>cuda|mps|xpu|hpu)\.)?"
    r"(?P<backend>CUDA|CPU|MPS|XPU|HPU|Meta)?(?P<dtype>[A-Za-z0-9]+?)(?:Tensor|Type)\]?$"
)


# Legacy `for argument #N 'name'` names that are a layer's parameters (addmm's mat2 is the
# Linear's weight, conv's weight and bias); any other argument is an ordinary tensor.
WEIGHT_ARGS = ("mat2", "weight", "bias", "weight_ih", "weight_hh")


def norm_dtype(raw: str | None) -> str | None:
    """`Double`, `double`, `torch.float64`, `c10::Half`, `long int` -> torch's dtype name."""
    if not raw:
        return None
    text = raw.strip().strip("'\"`()")
    text = re.sub(r"^torch\.", "", text)
    key = re.sub(r"\s+", " ", text).lower()
    # MSVC spells C++ type names with their kind: `struct c10::Half`, `class c10::complex<float>`.
    key = re.sub(r"^(?:struct|class) ", "", key)
    if key in ALIASES:
        return ALIASES[key]
    tensor = tensor_type(raw)
    return tensor[1] if tensor else None


def tensor_type(raw: str | None) -> tuple[str, str] | None:
    """`torch.cuda.FloatTensor` -> ("cuda", "float32"); `CPUDoubleType` -> ("cpu", "float64")."""
    if not raw:
        return None
    m = TYPE_NAME.match(raw.strip().strip("'\"`"))
    if not m:
        return None
    dtype = ALIASES.get(m["dtype"].lower())
    if dtype is None:
        return None
    device = (m["mod"] or m["backend"] or "cpu").lower()
    return device, dtype


def label(dtype: str) -> str:
    """`float64` -> `Double (float64)`: both names users meet."""
    name = TORCH_NAME.get(dtype)
    return f"{name} ({dtype})" if name else dtype


def cast(dtype: str) -> str:
    return CAST.get(dtype, f".to(torch.{dtype})")


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


# -- reading the user's source ------------------------------------------------------------------
def source_lines(
    ctx: Context, pattern: str, reason: str, score: float, limit: int = 4
) -> list[Suspect]:
    """Lines of the user's code that match a regex (comments and docstrings ignored)."""
    rx = re.compile(pattern)
    found: list[Suspect] = []
    for path in ctx.source.files():
        prose = docstring_lines(ctx.source, path)
        for lineno, line in enumerate(ctx.source.lines(path) or [], start=1):
            code = line.split("#", 1)[0]
            if lineno not in prose and code.strip() and rx.search(code):
                found.append(Suspect(path, lineno, line.strip(), reason, score))
                if len(found) >= limit:
                    return found
    return found


ORIGINS: dict[str, tuple[str, str]] = {
    # odd dtype -> (regex of the lines that usually make it, why)
    "float64": (
        r"from_numpy\(|torch\.(?:tensor|as_tensor|Tensor)\(.*(?:np\.|\.values|\.to_numpy|array)"
        r"|\.double\(\)|float64|torch\.double\b|DoubleTensor|np\.(?:random|linspace|arange|zeros|"
        r"ones|array|load)|set_default_dtype",
        "makes float64 data: numpy arrays are float64 by default and torch.from_numpy keeps that",
    ),
    "float16": (r"\.half\(\)|float16|torch\.half\b|HalfTensor", "casts to float16 by hand"),
    "bfloat16": (r"\.bfloat16\(\)|bfloat16", "casts to bfloat16 by hand"),
    "int64": (
        r"torch\.(?:tensor|as_tensor|from_numpy|LongTensor)\(|\.long\(\)|int64|torch\.long\b"
        r"|dtype=int|astype\(int",
        "makes an integer tensor (Python ints and integer numpy arrays become int64)",
    ),
    "int32": (r"int32|\.int\(\)|torch\.int\b|IntTensor|astype\(", "makes int32 data"),
    "uint8": (
        r"from_numpy\(|np\.(?:array|asarray)\(|uint8|\.byte\(\)|ByteTensor|read_image|imread|"
        r"Image\.open|pil_to_tensor|PILToTensor",
        "makes uint8 images (PIL/OpenCV pixels, 0-255) without converting them to float",
    ),
    "float32": (
        r"\.float\(\)|float32|torch\.float\b|FloatTensor|torch\.Tensor\(|dtype=torch\.float",
        "makes a float32 tensor",
    ),
    "bool": (r"\.bool\(\)|torch\.bool\b|BoolTensor|[<>=]=?", "makes a bool tensor"),
}


def origin_suspects(ctx: Context, dtype: str, score: float = 0.7) -> list[Suspect]:
    """Lines likely to create a tensor of this (unexpected) dtype."""
    entry = ORIGINS.get(dtype)
    if entry is None:
        return []
    pattern, why = entry
    return source_lines(ctx, pattern, why, score)


def where_suspect(ctx: Context, reason: str, score: float = 0.4) -> list[Suspect]:
    where = ctx.where
    if where is None or where.line is None:
        return []
    return [Suspect(where.file, where.line, where.code or "", reason, score)]


def frames_text(ctx: Context) -> str:
    """Function names and source lines of every frame, lower-cased, for telling ops apart."""
    parts = []
    for f in ctx.parsed.all_frames:
        parts.append(f"{f.function or ''} {f.code or ''} {f.file}")
    return " ".join(parts).lower()


# -- data vs parameters -------------------------------------------------------------------------
@dataclass
class Pair:
    data: str  # dtype of the input / the data side
    params: str  # dtype of the weights / the other side


def target_dtype(pair: Pair) -> str:
    """The one dtype both should share: float32 unless the model is deliberately half."""
    if pair.params in ("float16", "bfloat16") and pair.data in FLOATS:
        return pair.params
    if pair.params in FLOATS and pair.params != "float64":
        return pair.params
    if pair.data in FLOATS and pair.data != "float64":
        return pair.data
    return "float32"


def cast_story(
    ctx: Context,
    r: Reasoning,
    pair: Pair,
    data_name: str = "the input",
    params_name: str = "the layer's weight",
    weights: bool = True,
) -> None:
    """Steps, fix values, fix code and suspects for data of one dtype meeting weights of another
    (`weights=False`: two ordinary tensors, no layer's parameters involved)."""
    if not weights:
        _operands_story(ctx, r, pair, data_name, params_name)
        return
    want = target_dtype(pair)
    r.fix_values["dtype"] = want
    r.values.update(
        data_dtype=label(pair.data),
        params_dtype=label(pair.params),
        target_dtype=want,
        data_name=data_name,
        params_name=params_name,
        data_subject=data_name[:1].upper() + data_name[1:],
    )
    r.steps.append(
        f"{data_name[:1].upper() + data_name[1:]}: {label(pair.data)}; "
        f"{params_name}: {label(pair.params)}. Kernels need one dtype for both."
    )
    var = _data_var(ctx)
    if pair.data == "float64" and pair.params == "float32":
        story = (
            "float64 data usually comes from numpy (np.array of Python floats, pandas "
            ".values, np.random) through torch.from_numpy or torch.tensor, which keep "
            "numpy's float64; the model's parameters are float32"
        )
        code = (
            f"{var} = {var}.float()   # or torch.from_numpy(array).float(), "
            "torch.tensor(array, dtype=torch.float32)"
        )
        odd = "float64"
    elif pair.data == "uint8" and pair.params in FLOATS:
        story = (
            "uint8 data is raw image pixels (PIL, OpenCV, torchvision.io) that were never "
            "converted to float"
        )
        code = f"{var} = {var}.float() / 255   # or transforms.ToTensor(), which also scales"
        odd = "uint8"
    elif pair.data in INTS and pair.params in FLOATS:
        story = (
            f"{label(pair.data)} data is integer data (Python ints, token ids or labels) fed "
            "where the layer expects real-valued features"
        )
        code = f"{var} = {var}{cast(want)}"
        odd = pair.data
    elif pair.data in ("float16", "bfloat16") and pair.params == "float32":
        method = "half" if pair.data == "float16" else "bfloat16"
        story = (
            f"the input was cast to {pair.data} by hand (.{method}()) while the "
            "model stayed float32; mixed precision should use torch.autocast, which casts "
            "per op"
        )
        code = (
            f"{var} = {var}.float()\n# or, for mixed precision:\n"
            'with torch.autocast(device_type="cuda", dtype=torch.float16):\n'
            "    out = model(x)"
        )
        odd = pair.data
    elif pair.data == "float32" and pair.params in ("float16", "bfloat16"):
        story = (
            f"the model was converted with .{'half' if pair.params == 'float16' else 'bfloat16'}"
            "() but the input is still float32"
        )
        code = (
            f"{var} = {var}{cast(pair.params)}   # or keep the model float32 and use torch.autocast"
        )
        odd = pair.params
    elif pair.params == "float64" and pair.data in FLOATS:
        story = (
            "the model was converted to float64 (.double(), or a float64 default dtype) "
            "while the data is float32"
        )
        code = "model = model.float()   # float32 is what GPUs and most kernels are fast at"
        odd = "float64"
    else:
        story = f"{data_name} and {params_name} were created with different dtypes"
        code = f"{var} = {var}.to(torch.{want})"
        odd = pair.data if pair.data != want else pair.params
    r.values["origin_story"] = story
    r.values["odd_dtype"] = label(
        odd if odd != want else (pair.data if pair.data != want else pair.params)
    )
    r.steps.append(story[:1].upper() + story[1:] + ".")
    r.fix_code = code
    r.suspects.extend(origin_suspects(ctx, odd))
    r.suspects.extend(
        where_suspect(
            ctx, f"{data_name} ({label(pair.data)}) meets {params_name} ({label(pair.params)}) here"
        )
    )


def _operands_story(
    ctx: Context, r: Reasoning, pair: Pair, first_name: str, second_name: str
) -> None:
    """Two tensors of an elementwise op (`other`, `exponent`, ...) disagree: neither is a
    model's weight, so the story is where the odd tensor was made, not model.float()."""
    want = pair.data if pair.data in FLOATS and pair.data != "float64" else target_dtype(pair)
    odd = pair.params if pair.params != want else pair.data
    odd_name = second_name if odd == pair.params else first_name
    r.fix_values["dtype"] = want
    r.values.update(
        data_dtype=label(pair.data),
        params_dtype=label(pair.params),
        target_dtype=want,
        data_name=first_name,
        params_name=second_name,
        data_subject=first_name[:1].upper() + first_name[1:],
        odd_dtype=label(odd),
    )
    r.steps.append(
        f"{first_name[:1].upper() + first_name[1:]}: {label(pair.data)}; {second_name}: "
        f"{label(pair.params)}. Both are ordinary tensors of the op at this line, not a "
        "layer's parameters: the model's dtype is not involved."
    )
    if odd == "float64":
        story = (
            "a float64 tensor usually comes from numpy (torch.from_numpy, torch.tensor of a "
            "numpy array, arrays of Python floats), while tensors that torch makes and model "
            "outputs are float32: often one side was built from numpy (ground truth, boxes, "
            "labels) and meets a float32 one"
        )
        code = (
            "t = t.float()   # the float64 operand, or cast where it is made: "
            "torch.from_numpy(array).float()"
        )
    elif odd in INTS:
        story = (
            f"the {label(odd)} tensor holds integers (indices, counts, labels) and meets "
            "floating-point values in arithmetic that needs one dtype"
        )
        code = f"t = t{cast(want)}   # the {label(odd)} operand"
    elif odd in ("float16", "bfloat16"):
        story = f"one side was cast to {odd} by hand and the other was not"
        code = f"t = t{cast(want)}   # the {label(odd)} operand; or torch.autocast for both"
    else:
        story = "the two tensors were created with different dtypes"
        code = f"t = t{cast(want)}   # the {label(odd)} operand"
    r.values["origin_story"] = story
    r.steps.append(story[:1].upper() + story[1:] + ".")
    r.fix_code = f"# cast {odd_name} ({label(odd)}) to {want} before the op:\n{code}"
    r.suspects.extend(origin_suspects(ctx, odd))
    r.suspects.extend(
        where_suspect(
            ctx, f"{first_name} ({label(pair.data)}) meets {second_name} ({label(pair.params)})"
        )
    )


def _data_var(ctx: Context) -> str:
    """The input variable of the call that raised (`model(images)` -> `images`), else `x`."""
    where = ctx.where
    code = (where.code or "") if where else ""
    m = re.search(r"\w+\((?:\s*)([A-Za-z_][\w.]*)\s*[,)]", code)
    if m and m[1] not in ("self", "torch", "nn", "F"):
        return m[1]
    return "x"


# -- entries ------------------------------------------------------------------------------------
def linear_operands(ctx: Context) -> Reasoning:
    """`mat1 and mat2 must have the same dtype, but got Double and Float` (nn.Linear, addmm)."""
    data = norm_dtype(ctx.get("input_dtype"))
    params = norm_dtype(ctx.get("weight_dtype"))
    bias = norm_dtype(ctx.get("bias_dtype"))
    r = Reasoning()
    if params is None and data is None and bias is None:
        # 1.13-2.0 said only "mat1 and mat2 must have the same dtype", without the dtypes.
        r.steps.append(
            "This release does not print the two dtypes. nn.Linear's input (mat1) and "
            "weight (mat2) differ; the weight is float32 unless the model was cast."
        )
        r.values.update(
            data_subject="The input",
            data_name="the input",
            data_dtype="of one dtype",
            params_name="the layer's weight",
            params_dtype="of another",
            target_dtype="float32",
            odd_dtype="input",
            origin_story="The usual causes are float64 data from numpy "
            "(torch.from_numpy keeps numpy's float64), integer data (token ids, "
            "labels, uint8 pixels), or .half() applied to only one side; print "
            "x.dtype and next(model.parameters()).dtype to see which",
        )
        r.fix_values["dtype"] = "float32"
        r.fix_code = "x = x.to(next(model.parameters()).dtype)"
        r.suspects.extend(where_suspect(ctx, "the layer call whose input has another dtype", 0.5))
        return r
    if params is None or (data is None and bias is None):
        raise Decline("dtypes missing")
    if data is None and bias is not None:
        # `self and mat2`: the bias against the weight, both parameters of the layer
        r.steps.append(
            f"In addmm, `self` is the bias ({label(bias)}) and `mat2` the weight "
            f"({label(params)}): the layer's own parameters disagree."
        )
        r.values.update(
            data_dtype=label(bias),
            params_dtype=label(params),
            data_name="the bias",
            params_name="the weight",
            data_subject="The bias",
            origin_story="one parameter of the layer was replaced or cast on its own",
            target_dtype=params,
        )
        r.fix_values["dtype"] = params
        r.fix_code = "layer.bias.data = layer.bias.data.to(layer.weight.dtype)"
        r.suspects.extend(where_suspect(ctx, "the layer whose bias and weight disagree", 0.6))
        return r
    if data == params:
        raise Decline("same dtype")
    r.steps.append(
        "nn.Linear computes input @ weight.T + bias with addmm: mat1 is the input, "
        "mat2 the transposed weight."
    )
    cast_story(ctx, r, Pair(data=data or "float32", params=params))
    return r


def operands(ctx: Context) -> Reasoning:
    """torch.mm / matmul / dot / mv: two operands of a product with different dtypes."""
    names = [n for n in ("dtype1", "dtype2", "dtype3") if ctx.get(n)]
    dtypes = [norm_dtype(ctx.get(n)) for n in names]
    known = [d for d in dtypes if d]
    if len(known) < 2 or len(set(known)) < 2:
        raise Decline("dtypes missing or equal")
    r = Reasoning()
    op = {"dot": "torch.dot", "addmv": "torch.mv / addmv"}.get(
        str(ctx.get("op") or ""), "torch.mm / matmul"
    )
    r.values["op"] = op
    r.steps.append(
        f"The operands of {op} are "
        + ", ".join(label(d) for d in known)
        + ": a product needs one dtype for all of them."
    )
    want = (
        "float32"
        if "float32" in known
        else next(d for d in known if d in FLOATS)
        if any(d in FLOATS for d in known)
        else known[0]
    )
    odd = next(d for d in known if d != want)
    r.fix_values["dtype"] = want
    r.values.update(
        dtypes_text=" and ".join(label(d) for d in known), target_dtype=want, odd_dtype=label(odd)
    )
    r.fix_code = f"b = b.to(a.dtype)   # here: the {odd} operand{cast(want)}"
    r.suspects.extend(origin_suspects(ctx, odd))
    r.suspects.extend(where_suspect(ctx, "the product whose operands differ", 0.5))
    return r


def conv_types(ctx: Context) -> Reasoning:
    """`Input type (double) and bias type (float)`, `Input type (torch.cuda.HalfTensor) and weight
    type (torch.cuda.FloatTensor)`: same device, different dtypes."""
    raw_in = ctx.get("input_type")
    raw_param = ctx.get("weight_type", "bias_type")
    t_in, t_param = tensor_type(raw_in), tensor_type(raw_param)
    if t_in and t_param and t_in[0] != t_param[0]:
        raise Decline("a device mismatch")
    d_in = t_in[1] if t_in else norm_dtype(raw_in)
    d_param = t_param[1] if t_param else norm_dtype(raw_param)
    if not d_in or not d_param or d_in == d_param:
        raise Decline("no dtype difference")
    r = Reasoning()
    which = "bias" if ctx.get("bias_type") else "weight"
    r.steps.append(f"The convolution's input is {label(d_in)} and its {which} {label(d_param)}.")
    cast_story(ctx, r, Pair(data=d_in, params=d_param), "the input", f"the conv's {which}")
    return r


def scalar_type(ctx: Context) -> Reasoning:
    """`expected scalar type Float but found Double` and the legacy `Expected object of scalar
    type X but got scalar type Y for argument #2 'mat2'` / `Expected object of type ...`."""
    exp_raw, got_raw = ctx.get("expected"), ctx.get("got")
    expected, got = norm_dtype(exp_raw), norm_dtype(got_raw)
    t_exp, t_got = tensor_type(exp_raw), tensor_type(got_raw)
    if t_exp and t_got and t_exp[0] != t_got[0]:
        raise Decline("a device mismatch")
    if not expected or not got or expected == got:
        raise Decline("no dtype difference")
    arg = str(ctx.get("argument") or "")
    frames = frames_text(ctx)
    r = Reasoning()
    r.values.update(
        expected_dtype=label(expected), got_dtype=label(got), op_name="The op", found_where=""
    )
    r.values["why_note"] = ""
    element = ctx.get("element")
    if isinstance(element, int):
        return _sequence_element(ctx, r, expected, got, element)
    if arg == "target" or (
        expected == "int64"
        and ("nll" in frames or "cross_entropy" in frames or "loss" in frames or not frames)
    ):
        if expected == "int64":
            r.steps.append(
                f"The loss wants class indices as {label(expected)}; the target is {label(got)}."
            )
            _target_story(ctx, r, got)
            return r
        r.steps.append(
            f"The loss wants a target of {label(expected)}, like its input (MSE, L1, "
            f"BCE compare values), and the target is {label(got)}."
        )
        r.fix_values["dtype"] = expected
        r.values.update(target_dtype=expected, odd_dtype=label(got))
        r.fix_code = f"loss = criterion(output, target{cast(expected)})"
        r.suspects.extend(origin_suspects(ctx, got, 0.6))
        r.suspects.extend(where_suspect(ctx, "the loss that receives the target", 0.5))
        return r
    role = {
        "mat1": "the input (mat1)",
        "mat2": "the weight (mat2)",
        "weight": "the weight",
        "input": "the input",
        "self": "the first operand",
        "other": "the second operand",
    }.get(arg)
    weights = True
    if arg in ("mat1", "input", "self"):
        data, params, names = got, expected, ("the input", "the weights")
    elif arg in WEIGHT_ARGS:
        data, params, names = expected, got, ("the input", "the weights")
    elif arg:
        # `other`, `exponent`, `tensor2`, `end`: the second tensor of an elementwise op.
        data, params, names = expected, got, ("the first operand", f"argument '{arg}'")
        weights = False
        r.fix_values["operand"] = arg
        r.values["why_note"] = (
            f" Argument '{arg}' is the second tensor of an elementwise op, not a layer's "
            f"weight: two ordinary tensors of the line that raised disagree, and the "
            f"{label(got)} one should be {label(expected)}."
        )
    elif expected == "float32" or got != "float32":
        data, params, names = got, expected, ("one operand", "another operand")
    else:
        data, params, names = expected, got, ("one operand", "another operand")
    if arg:
        r.steps.append(
            f"Argument '{arg}' ({role or arg}) is {label(got)}, where the op expected "
            f"{label(expected)} like its other operands."
        )
    else:
        r.steps.append(
            f"The kernel took {label(expected)} from its first operand (or output) and "
            f"found another operand of {label(got)}: bmm/matmul on 3-D tensors, "
            "convolutions without bias, grid_sample and many kernels say it this way."
        )
    cast_story(ctx, r, Pair(data=data, params=params), *names, weights=weights)
    return r


def _sequence_element(
    ctx: Context, r: Reasoning, expected: str, got: str, element: int
) -> Reasoning:
    """`... for sequence element 2 in sequence argument at position #1 'tensors'`: torch.cat or
    torch.stack (releases before they promoted dtypes) given tensors of several dtypes."""
    seq = str(ctx.get("seq_argument") or "tensors")
    r.values.update(
        op_name="torch.cat / torch.stack",
        found_where=f" in tensor {element} of the list",
        element=element,
    )
    r.steps.append(
        f"Argument '{seq}' is the list of tensors to join. These releases took the dtype of its "
        f"first tensor, {label(expected)}, and required it of every other one; tensor {element} "
        f"(counting from 0) is {label(got)}. Current releases promote to a common dtype instead."
    )
    target = "float32" if "float32" in (expected, got) else expected
    odd = got if target == expected else expected
    r.steps.append(
        f"Cast the tensors to one dtype before joining them: {label(target)}, the dtype of "
        "the model's parameters, unless the data really needs another one."
    )
    r.values["why_note"] = (
        f" The list joined by torch.cat (or torch.stack) mixes dtypes: tensor 0 is "
        f"{label(expected)}, tensor {element} is {label(got)}. Usually one of them comes from "
        "numpy (float64) or from integer labels, the others from the model (float32)."
    )
    r.values.update(target_dtype=target, odd_dtype=label(odd))
    r.fix_values["dtype"] = target
    r.fix_code = f"torch.cat([t{cast(target)} for t in tensors], dim=dim)   # one dtype: {target}"
    where = ctx.where
    if where is not None and where.line and where.code:
        r.suspects.append(
            Suspect(
                where.file,
                where.line,
                where.code,
                f"joins tensors of {label(expected)} and {label(got)}",
                0.7,
            )
        )
    return r


def loss_target(ctx: Context) -> Reasoning:
    """CrossEntropy / NLL targets that are not int64 class indices."""
    got = norm_dtype(ctx.get("dtype", "got"))
    if got is None or got == "int64":
        raise Decline("dtype missing")
    r = Reasoning()
    r.values.update(got_dtype=label(got))
    r.steps.append(
        "CrossEntropyLoss / NLLLoss read the target as class indices: int64 (Long), "
        f"one index per sample. This target is {label(got)}."
    )
    _target_story(ctx, r, got)
    return r


def _target_story(ctx: Context, r: Reasoning, got: str) -> None:
    r.fix_values["dtype"] = "int64"
    r.values.update(target_dtype="int64", odd_dtype=f"{label(got)} target")
    if got in FLOATS:
        r.values["target_story"] = (
            f"{_a(got).capitalize()} target is usually labels built as floats "
            "(torch.FloatTensor(labels), torch.tensor(labels, dtype=torch.float), a float numpy "
            "array), or one-hot / "
            "probability rows"
        )
        r.fix_code = (
            "target = target.long()   # whole-number class ids\n"
            "# one-hot rows [N, C]: target = target.argmax(dim=1)\n"
            "# soft labels (torch>=1.10): keep them float, shaped like the logits"
        )
    else:
        r.values["target_story"] = (
            f"{_a(got).capitalize()} target is integer class ids of the wrong width "
            "(int32 from numpy or a custom dataset)"
        )
        r.fix_code = "target = target.long()"
    r.values["got_dtype"] = label(got)
    r.steps.append(r.values["target_story"] + ".")
    r.suspects.extend(
        source_lines(
            ctx,
            r"(?i)(?:label|target|\by\b|\bys?\b|class).*(?:float|Float|Tensor\(|int32|\.int\(\))"
            r"|(?:float|Float|int32).*(?:label|target)",
            "builds the labels with this dtype",
            0.75,
        )
    )
    r.suspects.extend(where_suspect(ctx, "the loss that receives the target", 0.5))


def not_implemented(ctx: Context) -> Reasoning:
    """`"addmm_impl_cpu_" not implemented for 'Half'`: no kernel of this op for this dtype."""
    kernel = str(ctx.get("kernel") or "")
    dtype = norm_dtype(ctx.get("dtype"))
    if not kernel or dtype is None:
        raise Decline("kernel or dtype missing")
    low = kernel.lower()
    r = Reasoning()
    r.values.update(kernel=kernel, got_dtype=label(dtype))
    if "nll_loss" in low or "cross_entropy" in low:
        r.steps.append(
            f"{kernel} is the NLL / cross-entropy kernel; its target must be int64, "
            f"and got {label(dtype)}."
        )
        _target_story(ctx, r, dtype)
        r.values["reason"] = "the loss target must be int64 class indices"
        return r
    cpu = "cpu" in low or str(ctx.get("backend") or "").upper() == "CPU" or low in CPU_ONLY_NAMES
    if dtype in ("float16", "bfloat16"):
        where = "on the CPU" if cpu else "for this op"
        r.values["reason"] = (
            f"{label(dtype)} has no kernel {where}: half precision is a GPU "
            "format, and many CPU ops (and older releases) lack it"
        )
        r.fix_values["dtype"] = "float32"
        r.fix_code = (
            "model = model.float(); x = x.float()   # float32 on the CPU\n"
            "# or run on the GPU, with torch.autocast for mixed precision"
        )
        r.suspects.extend(origin_suspects(ctx, dtype))
    elif dtype in INTS:
        r.values["reason"] = (
            f"{kernel} computes real numbers (softmax, logs, means, matmuls) "
            f"and has no {label(dtype)} version: the tensor holds integers "
            "(labels, token ids, pixel values) where floats belong"
        )
        r.fix_values["dtype"] = "float32"
        r.fix_code = "x = x.float()"
        r.suspects.extend(origin_suspects(ctx, dtype, 0.6))
    else:
        r.values["reason"] = (
            f"{kernel} works on integers or booleans (bitwise ops, indexing, "
            f"counting) and got {label(dtype)}"
        )
        r.fix_values["dtype"] = "int64"
        r.fix_code = "x = x.long()   # or x.bool() for a mask"
    r.steps.append(f"{kernel} has no implementation for {label(dtype)}: {r.values['reason']}.")
    r.suspects.extend(where_suspect(ctx, f"the op that got {label(dtype)}", 0.5))
    return r


CPU_ONLY_NAMES = {"layernormkernelimpl", "slow_conv2d_cpu", "addmm_impl_cpu_"}


def norm_mixed(ctx: Context) -> Reasoning:
    """`mixed dtype (CPU): expect parameter to have scalar type of Float` (BatchNorm & co.)."""
    params = norm_dtype(ctx.get("dtype")) or "float32"
    r = Reasoning()
    data = "float64" if params == "float32" else "float32"
    r.steps.append(
        "The CPU kernels of BatchNorm / LayerNorm / GroupNorm take an input of the same "
        f"dtype as their weight and bias ({label(params)}); the input is another one "
        f"(usually float64 from numpy)."
    )
    cast_story(ctx, r, Pair(data=data, params=params), "the input", "the norm layer's parameters")
    r.values["data_dtype"] = "another dtype" if not ctx.get("dtype") else r.values["data_dtype"]
    return r


def rnn_input(ctx: Context) -> Reasoning:
    """`RNN input dtype (torch.float64) does not match weight dtype (torch.float32)`."""
    data, params = norm_dtype(ctx.get("input_dtype")), norm_dtype(ctx.get("weight_dtype"))
    if not data or not params or data == params:
        raise Decline("dtypes missing")
    r = Reasoning()
    cast_story(ctx, r, Pair(data=data, params=params), "the sequence batch", "the RNN's weights")
    return r


def index_integer(ctx: Context) -> Reasoning:
    """Indices that are not integers: embedding ids, one_hot, index_select, gather/scatter."""
    got_raw = ctx.get("got")
    got = norm_dtype(got_raw) if got_raw else None
    op = str(ctx.get("op") or "")
    r = Reasoning()
    r.fix_values["dtype"] = "int64"
    what = {
        "embedding": "nn.Embedding",
        "one_hot": "F.one_hot",
        "index_select": "index_select",
        "gather": "gather",
        "scatter": "scatter",
        "scatter_add": "scatter_add",
    }.get(op, op)
    r.values.update(index_op=what or "the op", got_dtype=label(got) if got else "of another dtype")
    r.steps.append(
        f"The indices given to {what or 'the op'} must be integers (int64; one_hot "
        f"accepts only int64), and are {r.values['got_dtype']}."
    )
    r.steps.append(
        "Float indices come from torch.Tensor(list) / torch.FloatTensor (float by "
        "default), from a dataset that returns float arrays, or from `/` (true "
        "division gives floats even for whole numbers: use `//`)."
    )
    r.fix_code = "ids = ids.long()   # and build them with torch.tensor(ids) or dtype=torch.long"
    r.suspects.extend(
        source_lines(
            ctx,
            r"torch\.(?:Tensor|FloatTensor)\(|\.float\(\)|dtype=torch\.float|(?<!/)/(?![/=])",
            "makes the indices float",
            0.7,
        )
    )
    r.suspects.extend(where_suspect(ctx, "the lookup that receives the float indices", 0.5))
    return r


def values_dtype(ctx: Context) -> Reasoning:
    """`Index put requires the source and destination dtypes match` / `scatter(): Expected
    self.dtype to be equal to src.dtype`: values written into a tensor of another dtype."""
    dst, src = norm_dtype(ctx.get("dst_dtype")), norm_dtype(ctx.get("src_dtype"))
    r = Reasoning()
    if dst and src:
        if dst == src:
            raise Decline("same dtype")
        r.steps.append(
            f"The destination is {label(dst)}; the values written into it are "
            f"{label(src)}. Indexed assignment and scatter do not convert."
        )
        r.fix_values["dtype"] = dst
        r.values.update(dst_dtype=label(dst), src_dtype=label(src))
        r.fix_code = f"dest[idx] = values.to(dest.dtype)   # here {cast(dst)}"
        r.suspects.extend(origin_suspects(ctx, src, 0.6))
    else:
        r.values.update(dst_dtype="self's dtype", src_dtype="src's dtype (another one)")
        r.steps.append("scatter writes src into self without converting: both need one dtype.")
        r.fix_code = "out = out.scatter(dim, index, src.to(out.dtype))"
    r.suspects.extend(where_suspect(ctx, "writes values of another dtype", 0.6))
    return r


def mask_bool(ctx: Context) -> Reasoning:
    """`masked_fill_ only supports boolean masks, but got mask with dtype float`."""
    got = norm_dtype(ctx.get("dtype"))
    r = Reasoning()
    r.fix_values["dtype"] = "bool"
    r.values["got_dtype"] = label(got) if got else "a non-bool dtype"
    r.steps.append(
        f"The mask is {r.values['got_dtype']}; masked_fill takes a bool mask (True "
        "where to fill). uint8 masks were accepted with a warning until 1.2."
    )
    r.fix_code = (
        "x = x.masked_fill(mask.bool(), value)   # or build it as a comparison: mask = lengths == 0"
    )
    r.suspects.extend(where_suspect(ctx, "the masked_fill with the non-bool mask", 0.6))
    return r


def result_cast(ctx: Context) -> Reasoning:
    """`result type Float can't be cast to the desired output type Long`."""
    result, out = norm_dtype(ctx.get("result_dtype")), norm_dtype(ctx.get("output_dtype"))
    if not result or not out:
        raise Decline("dtypes missing")
    r = Reasoning()
    r.values.update(result_dtype=label(result), output_dtype=label(out))
    frames = frames_text(ctx)
    if "binary_cross_entropy" in frames or "bce" in frames or "loss" in frames:
        r.values["diagnosis"] = (
            f"the loss's target is {label(out)}: BCEWithLogitsLoss computes "
            f"in {label(result)} and writes into a tensor shaped and typed "
            "like the target, which must be float"
        )
        r.fix_values["dtype"] = result
        r.fix_code = f"loss = criterion(logits, target{cast(result)})"
        r.suspects.extend(
            source_lines(
                ctx,
                r"(?i)(?:label|target|\by\b).*(?:long|int|tensor\()",
                "builds integer labels",
                0.7,
            )
        )
    else:
        r.values["diagnosis"] = (
            f"an in-place op or out= writes a {label(result)} result into a "
            f"{label(out)} tensor, which cannot hold it"
        )
        r.fix_values["dtype"] = result
        r.fix_code = f"x = x{cast(result)}   # before the in-place op, or use x = x * 0.5"
    r.steps.append(r.values["diagnosis"][:1].upper() + r.values["diagnosis"][1:] + ".")
    r.suspects.extend(where_suspect(ctx, "the op whose result cannot be stored", 0.6))
    return r


def found_expected(ctx: Context) -> Reasoning:
    """`Found dtype Double but expected Float` (loss backward), `expected dtype Float but got
    dtype Long` (1.5): the target's dtype differs from the prediction's."""
    found, expected = norm_dtype(ctx.get("found_dtype")), norm_dtype(ctx.get("expected_dtype"))
    if not found or not expected or found == expected:
        raise Decline("dtypes missing")
    r = Reasoning()
    r.values.update(found_dtype=label(found), expected_dtype=label(expected))
    r.steps.append(
        f"A loss (BCE, MSE, L1, ...) got a target of {label(found)} for a prediction "
        f"of {label(expected)}; the backward pass (or the loss) needs them equal."
    )
    r.fix_values["dtype"] = expected
    r.fix_code = f"loss = criterion(output, target{cast(expected)})"
    r.suspects.extend(
        source_lines(
            ctx,
            r"(?i)(?:label|target|\by\b).*(?:tensor\(|from_numpy|double|float64|long|int)",
            f"builds the targets as {found}",
            0.7,
        )
    )
    r.suspects.extend(where_suspect(ctx, "the loss or backward call", 0.5))
    return r
