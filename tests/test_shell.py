"""After a failed run, without copy and paste: `why` in real bash, zsh and fish sessions, the
capture itself, `explainer last` on good and bad state files, and `explainer run`.

Each test has its own state folder (EXPLAINER_STATE_DIR). Most programs raise a PyTorch message
without importing torch, with a tiny stand-in `torch` module where tensors matter; the tests
that need the real thing (live shapes through `explainer run`) import torch.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from harness import ROOT

LINEAR = "mat1 and mat2 shapes cannot be multiplied (4x576 and 400x10)"
FAILING = f"""\
def forward(x):
    raise RuntimeError("{LINEAR}")


forward(1)
"""
FAKE_TORCH = """\
class Tensor:
    def __init__(self, *shape, dtype="torch.float32", device="cpu"):
        self.shape, self.dtype, self.device = shape, dtype, device
"""
WITH_TENSORS = f"""\
import torch


def forward(x, weight):
    batch = [x, weight]
    raise RuntimeError("{LINEAR}")


images = torch.Tensor(4, 3, 24, 24)
forward(torch.Tensor(4, 576), torch.Tensor(10, 400, device="cuda:0"))
"""
SITE = ROOT / "explainer" / "shell" / "site"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    (tmp_path / "fail.py").write_text(FAILING)
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text(FAKE_TORCH)
    (tmp_path / "tensors.py").write_text(WITH_TENSORS)
    return tmp_path


def env_for(work: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EXPLAINER_") and k not in ("PYTHONPATH", "NO_COLOR")
    }
    env.update(
        EXPLAINER_STATE_DIR=str(work / "state"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def explainer(
    work: Path, *args: str, stdin: bytes | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explainer", *args],
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        cwd=work,
        env=env_for(work, **env),
        timeout=120,
        check=False,
    )


def python(work: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=work,
        env=env_for(work, **env),
        timeout=120,
        check=False,
    )


# --- shell-init -------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_init_defines_the_alias(work: Path, shell: str) -> None:
    proc = explainer(work, "shell-init", shell, "--alias", "wtf")
    assert proc.returncode == 0, proc.stderr
    assert "wtf" in proc.stdout and "EXPLAINER_SHELL_ID" in proc.stdout
    assert sys.executable in proc.stdout and "-m explainer last" in proc.stdout
    assert "PYTHONPATH" not in proc.stdout  # capture through PYTHONPATH only when asked


def test_shell_init_bad_input(work: Path) -> None:
    for args, words in [
        (("shell-init", "tcsh"), "unsupported shell"),
        (("shell-init", "bash", "--alias", "rm -rf"), "not a usable command name"),
        (("shell-init",), "say which shell"),
    ]:
        proc = explainer(work, *args, SHELL="/bin/tcsh")
        assert proc.returncode == 2, proc
        assert words in proc.stderr and "Traceback" not in proc.stderr
    assert explainer(work, "shell-init", SHELL="/usr/bin/zsh").stdout.startswith(
        "# explainer shell integration (zsh)"
    )


SHELLS = {
    "bash": (["--norc", "--noprofile", "-i"], 'eval "$({exe} shell-init bash --capture)"', "$?"),
    "zsh": (["-f", "-i"], 'eval "$({exe} shell-init zsh --capture)"', "$?"),
    "fish": (["--no-config", "-i"], "{exe} shell-init fish --capture | source", "$status"),
}


def shell_session(work: Path, shell: str) -> pexpect.spawn:
    if shutil.which(shell) is None:
        if shell == "bash":
            pytest.fail("bash is required for the shell integration tests")
        pytest.skip(f"{shell} is not installed (apt-get install {shell})")
    args, init, status = SHELLS[shell]
    exe = f"{sys.executable} -m explainer"
    env = env_for(work, PS1="$ ", TERM="dumb")
    child = pexpect.spawn(
        shell, args, env=env, cwd=str(work), encoding="utf-8", timeout=60, dimensions=(60, 200)
    )
    command(child, init.format(exe=exe), status, expect_status="0")
    return child


def command(child: pexpect.spawn, line: str, status: str, expect_status: str | None = None) -> str:
    """Type a line, wait for it to finish; what it printed (the screen since the line)."""
    child.sendline(f"{line}; echo DONE-{status}-END")
    child.expect(r"DONE-(\d+)-END")
    if expect_status is not None:
        assert child.match.group(1) == expect_status, child.before[-3000:]
    return child.before


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_why_in_a_real_shell(work: Path, shell: str) -> None:
    """Run a failing script, type `why`, read the screen; the script is not run again."""
    status = SHELLS[shell][2]
    child = shell_session(work, shell)
    try:
        screen = command(child, "python tensors.py", status, expect_status="1")
        assert LINEAR in screen
        (work / "tensors.py").write_text("raise SystemExit('re-run!')\n")  # why must not re-run
        screen = command(child, "why", status, expect_status="0")
        assert "re-run!" not in screen
        assert "nn.Linear's in_features" in screen
        assert "Live shapes" in screen and "x: [4, 576] float32 cpu" in screen
        assert "weight: [10, 400] float32 cuda:0" in screen
        assert "last failure: python tensors.py" in screen
    finally:
        child.sendline("exit")
        child.close(force=True)


def test_why_explains_this_shell_not_another(work: Path) -> None:
    """Two bash sessions: each `why` explains its own crash."""
    first, second = shell_session(work, "bash"), shell_session(work, "bash")
    try:
        command(first, "python fail.py", "$?", expect_status="1")
        command(second, "python -c 'import torch; torch.Tensor(2); [][1]'", "$?")
        assert LINEAR in command(first, "why", "$?", expect_status="0")
        mine = command(second, "why --json", "$?", expect_status="1")
        assert "IndexError" in mine and LINEAR not in mine
    finally:
        for child in (first, second):
            child.sendline("exit")
            child.close(force=True)


# --- the capture --------------------------------------------------------------------------------


def test_capture_writes_traceback_and_tensors(work: Path) -> None:
    proc = python(work, "tensors.py", PYTHONPATH=str(SITE), EXPLAINER_SHELL_ID="abc-1")
    assert proc.returncode == 1 and LINEAR in proc.stderr  # the traceback still prints as usual
    state = work / "state"
    data = json.loads((state / "last.json").read_text())
    assert (state / "last-abc-1.json").read_text() == (state / "last.json").read_text()
    assert oct((state / "last.json").stat().st_mode & 0o777) == "0o600"
    assert LINEAR in data["traceback"] and data["type"] == "RuntimeError"
    shapes = {
        t["name"]: (t["shape"], t["dtype"], t["device"], t["function"]) for t in data["tensors"]
    }
    assert shapes["x"] == ([4, 576], "float32", "cpu", "forward")
    assert shapes["batch[1]"] == ([10, 400], "float32", "cuda:0", "forward")
    assert shapes["weight"][0] == [10, 400]
    # A module-level frame: only the names on the failing line, not every global.
    assert "images" not in shapes
    assert not [p for p in state.iterdir() if p.name.startswith(".tmp")]


def test_capture_only_on_uncaught_exceptions(work: Path) -> None:
    env = {"PYTHONPATH": str(SITE)}
    ok = python(work, "-c", "try:\n    1/0\nexcept ZeroDivisionError:\n    pass", **env)
    exits = python(work, "-c", "import sys; sys.exit(3)", **env)
    interrupted = python(work, "-c", "raise KeyboardInterrupt", **env)
    off = python(work, "fail.py", EXPLAINER_CAPTURE="0", **env)
    assert (ok.returncode, exits.returncode, off.returncode) == (0, 3, 1)
    assert interrupted.returncode != 0
    assert not (work / "state" / "last.json").exists()


def test_capture_never_imports_torch(work: Path) -> None:
    code = "import sys; import json; print(json.dumps(sorted(sys.modules)))"
    proc = python(work, "-c", code, PYTHONPATH=str(SITE))
    modules = set(json.loads(proc.stdout))
    assert "_explainer_capture" in modules
    assert not {"torch", "numpy"} & modules
    assert "traceback" not in modules and "tempfile" not in modules  # loaded only at a crash


def test_capture_survives_an_unwritable_state_folder(work: Path) -> None:
    blocker = work / "blocked"
    blocker.write_text("a file where the state folder should be")
    proc = python(work, "fail.py", PYTHONPATH=str(SITE), EXPLAINER_STATE_DIR=str(blocker / "x"))
    assert proc.returncode == 1
    assert proc.stderr.count("Traceback") == 1  # the user's traceback, nothing of ours


def test_sitecustomize_chains_to_the_one_it_shadows(work: Path) -> None:
    other = work / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import builtins\nbuiltins.CHAINED = True\n")
    proc = python(
        work, "-c", "import builtins; print(builtins.CHAINED)", PYTHONPATH=f"{SITE}:{other}"
    )
    assert proc.stdout.strip() == "True", proc.stderr


# --- explainer last -----------------------------------------------------------------------------


def test_last_explains_with_live_shapes(work: Path) -> None:
    python(work, "tensors.py", PYTHONPATH=str(SITE))
    proc = explainer(work, "last", "--json", "--no-history")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["entry"]["family"] == "linear_in_features"
    names = [t["name"] for t in data["live_shapes"]]
    assert names[0] == "x" and "weight" in names
    assert data["live_shapes"][0] == {
        "name": "x",
        "shape": [4, 576],
        "dtype": "float32",
        "device": "cpu",
        "function": "forward",
        "file": str(work / "tensors.py"),
        "line": 6,
    }
    # The same tensor under two names (weight, batch[1]) is listed once.
    assert len([t for t in data["live_shapes"] if t["shape"] == [10, 400]]) == 1
    markdown = explainer(work, "last", "--format", "markdown", "--no-history").stdout
    assert "**Live shapes**" in markdown and "`x: [4, 576] float32 cpu`" in markdown


def test_last_with_nothing_captured(work: Path) -> None:
    proc = explainer(work, "last")
    assert proc.returncode == 2
    assert "no failed Python run captured yet" in proc.stderr and "hook install" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "content",
    [b'{"version": 1, "traceback": "Traceback (most rec', b"\x00\xff\xfe garbage", b"[1, 2]", b""],
    ids=["half-written", "binary", "not-a-capture", "empty"],
)
def test_last_with_a_damaged_state_file(work: Path, content: bytes) -> None:
    (work / "state" / "last.json").write_bytes(content)
    proc = explainer(work, "last")
    assert proc.returncode == 2, proc
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "damaged" in proc.stderr or "no traceback" in proc.stderr


def test_last_with_malformed_tensor_records(work: Path) -> None:
    capture = {
        "traceback": f"RuntimeError: {LINEAR}\n",
        "tensors": [{"name": 3}, "x", {"name": "y", "shape": "big", "line": "x"}, None],
        "argv": None,
        "time": "yesterday",
    }
    (work / "state" / "last.json").write_text(json.dumps(capture))
    proc = explainer(work, "last", "--json", "--no-history")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["live_shapes"][0]["shape"] is None


def test_last_when_the_state_file_is_a_folder(work: Path) -> None:
    (work / "state" / "last.json").mkdir()
    proc = explainer(work, "last")
    assert proc.returncode == 2 and "is a directory" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_last_with_an_unreadable_state_file(work: Path) -> None:
    path = work / "state" / "last.json"
    path.write_text("{}")
    path.chmod(0)
    proc = explainer(work, "last")
    assert proc.returncode == 2 and "permission denied" in proc.stderr


def test_last_falls_back_to_another_shell_with_a_note(work: Path) -> None:
    python(work, "fail.py", PYTHONPATH=str(SITE), EXPLAINER_SHELL_ID="other")
    proc = explainer(work, "last", "--no-history", EXPLAINER_SHELL_ID="mine")
    assert proc.returncode == 0
    assert "from another shell" in proc.stderr


# --- explainer run ------------------------------------------------------------------------------


def test_run_keeps_exit_codes_and_output(work: Path) -> None:
    proc = explainer(work, "run", "--no-history", "--", "python", "fail.py")
    assert proc.returncode == 1
    assert LINEAR in proc.stderr and "nn.Linear's in_features" in proc.stderr
    assert proc.stderr.index(LINEAR) < proc.stderr.index("nn.Linear's in_features")
    assert proc.stdout == ""  # the explanation goes to stderr: stdout is the command's
    ok = explainer(work, "run", "python", "-c", "print('out'); import sys; sys.exit(7)")
    assert ok.returncode == 7 and ok.stdout == "out\n"
    assert "no Python error found" in ok.stderr
    assert explainer(work, "run", "python", "-c", "print(1)").returncode == 0
    missing = explainer(work, "run", "--", "no-such-command-xyz")
    assert missing.returncode == 127 and "command not found" in missing.stderr
    plain = explainer(work, "run", "--", str(work / "fail.py"))
    assert plain.returncode == 126


def test_run_output_bytes_pass_through(work: Path) -> None:
    """Colours, carriage returns and partial lines arrive as the program wrote them."""
    code = (
        "import sys\n"
        "sys.stdout.write('\\x1b[31mred\\x1b[0m\\n')\n"
        "for i in range(3): sys.stderr.write(f'\\r{i}/3 |{\"#\" * i}'); sys.stderr.flush()\n"
        "sys.stdout.buffer.write(bytes(range(256)))\n"
    )
    direct = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    proc = subprocess.run(
        [sys.executable, "-m", "explainer", "run", "--", sys.executable, "-c", code],
        capture_output=True,
        env=env_for(work),
        check=False,
    )
    assert (proc.stdout, proc.stderr) == (direct.stdout, direct.stderr)


def test_run_on_a_terminal_keeps_it_interactive(work: Path) -> None:
    """In a pseudo-terminal: the program sees a tty, reads typed input, colours pass through."""
    (work / "ask.py").write_text(
        "import sys\n"
        "print('tty' if sys.stdout.isatty() and sys.stderr.isatty() else 'no tty')\n"
        "name = input('name? ')\n"
        "print(f'\\x1b[32mhello {name}\\x1b[0m')\n"
        f"raise RuntimeError('{LINEAR}')\n"
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "explainer", "run", "--no-color", "python", "ask.py"],
        env=env_for(work),
        cwd=str(work),
        encoding="utf-8",
        timeout=60,
    )
    child.expect("name\\? ")
    assert "tty" in child.before and "no tty" not in child.before
    child.sendline("bob")
    child.expect("\x1b\\[32mhello bob\x1b\\[0m")
    child.expect("nn.Linear's in_features")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1


def test_run_ctrl_c_reaches_the_program(work: Path) -> None:
    """Ctrl-C stops the program, not explainer first; the exit code is the program's, 130."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "explainer", "run", "python", "-c", "import time; print('ready'); time.sleep(60)"],
        env=env_for(work),
        cwd=str(work),
        encoding="utf-8",
        timeout=60,
    )
    child.expect("ready")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert "KeyboardInterrupt" in child.before and "explainer:" not in child.before
    assert child.exitstatus == 130


def test_run_explains_with_real_torch_and_live_shapes(work: Path) -> None:
    (work / "torch").rename(work / "not_torch")  # the real torch, this time
    (work / "net.py").write_text(
        "import torch\n"
        "import torch.nn as nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc1 = nn.Linear(400, 10)\n"
        "    def forward(self, x):\n"
        "        return self.fc1(x)\n"
        "head = nn.Linear(10, 2)\n"
        "def step(batch):\n"
        "    return head(model(batch))\n"
        "model = Net()\n"
        "step(torch.zeros(4, 576))\n"
    )
    proc = explainer(work, "run", "--json", "--no-history", "--", "python", "net.py")
    assert proc.returncode == 1
    data = json.loads(proc.stderr[proc.stderr.index("{") :])
    assert data["entry"]["family"] == "linear_in_features"
    labels = [(t["name"], tuple(t["shape"]), t["function"]) for t in data["live_shapes"]]
    # The failing frame's tensors first, under the names the user's code gives them.
    assert labels[:3] == [
        ("x", (4, 576), "forward"),
        ("self.fc1.weight", (10, 400), "forward"),
        ("self.fc1.bias", (10,), "forward"),
    ]
    assert ("head.weight", (2, 10), "step") in labels  # a global the failing line uses
    assert not [name for name, _, _ in labels if name == "input"]  # `x` again, in F.linear
    # The arithmetic names the real operands the message only numbers.
    assert any(
        step.startswith("At the crash, x: [4, 576] float32 cpu in forward") and "576" in step
        for step in data["arithmetic"]
    )


def test_run_falls_back_to_the_output_without_a_capture(work: Path) -> None:
    """`python -I` ignores PYTHONPATH: the capture cannot load, the printed traceback is read."""
    proc = explainer(work, "run", "--no-history", "--", "python", "-I", "fail.py")
    assert proc.returncode == 1
    assert "nn.Linear's in_features" in proc.stderr


def test_run_picks_the_worker_not_the_launcher(work: Path) -> None:
    (work / "launcher.py").write_text(
        "import subprocess, sys\n"
        "class ChildFailedError(Exception):\n"
        "    pass\n"
        "if subprocess.call([sys.executable, 'fail.py']):\n"
        "    raise ChildFailedError('train.py FAILED')\n"
    )
    proc = explainer(work, "run", "--json", "--no-history", "--", "python", "launcher.py")
    assert proc.returncode == 1
    data = json.loads(proc.stderr[proc.stderr.index("\n{") :])
    assert data["entry"]["family"] == "linear_in_features"


# --- python -m explainer.run and import explainer.auto -----------------------------------------


def test_python_m_explainer_run(work: Path) -> None:
    proc = python(work, "-m", "explainer.run", "tensors.py", "--flag")
    assert proc.returncode == 1
    assert "explainer" + os.sep + "run.py" not in proc.stderr and "runpy" not in proc.stderr
    assert 'File "' + str(work / "tensors.py") in proc.stderr or "tensors.py" in proc.stderr
    assert "nn.Linear's in_features" in proc.stderr and "x: [4, 576] float32 cpu" in proc.stderr
    data = json.loads((work / "state" / "last.json").read_text())
    assert data["argv"] == ["tensors.py", "--flag"]
    assert python(work, "-m", "explainer.run", "-c", "print('hi')").stdout == "hi\n"
    assert python(work, "-m", "explainer.run", "-c", "raise SystemExit(5)").returncode == 5
    assert python(work, "-m", "explainer.run", "nope.py").returncode == 2
    assert python(work, "-m", "explainer.run").returncode == 2


def test_import_explainer_auto(work: Path) -> None:
    (work / "auto.py").write_text("import explainer.auto\n" + WITH_TENSORS)
    proc = python(work, "auto.py")
    assert proc.returncode == 1
    assert proc.stderr.index("Traceback") < proc.stderr.index("nn.Linear's in_features")
    assert (work / "state" / "last.json").exists()
    quiet = python(work, "auto.py", EXPLAINER_AUTO_EXPLAIN="0")
    assert "nn.Linear's in_features" not in quiet.stderr


# --- the hook in a fresh virtual environment ----------------------------------------------------


def tree(root: Path) -> dict[str, bytes | str | None]:
    """Every path under root with its content (a link's target; None for folders)."""
    out: dict[str, bytes | str | None] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = os.readlink(path)
        else:
            out[rel] = None if path.is_dir() else path.read_bytes()
    return out


def test_hook_install_and_uninstall_in_a_fresh_venv(work: Path) -> None:
    venv_dir = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv_dir)], check=True)
    vpy = str(venv_dir / "bin" / "python")
    before = tree(venv_dir)
    assert explainer(work, "hook", "status", "--python", vpy).returncode == 1
    proc = explainer(work, "hook", "install", "--python", vpy)
    assert proc.returncode == 0 and "installed" in proc.stdout, proc.stderr
    assert explainer(work, "hook", "status", "--python", vpy).returncode == 0
    assert explainer(work, "hook", "install", "--python", vpy).returncode == 0  # idempotent

    # The environment has no explainer and no torch of its own: the hook needs neither.
    # Found without importing it: torch in this process would swell every later child's peak RSS.
    spec = importlib.util.find_spec("torch")
    assert spec is not None and spec.origin is not None
    torch_dir = Path(spec.origin).parent.parent
    run = subprocess.run(
        [vpy, "tensors.py"],
        cwd=work,
        env=env_for(work, EXPLAINER_SHELL_ID="s1"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1 and LINEAR in run.stderr
    data = json.loads((work / "state" / "last-s1.json").read_text())
    assert any(t["name"] == "x" and t["shape"] == [4, 576] for t in data["tensors"])
    (work / "torch").rename(work / "fake_torch")
    real = subprocess.run(
        [vpy, "-c", "import torch\nx = torch.zeros(2, 3)\ny = x @ x"],
        cwd=work,
        env=env_for(work, PYTHONPATH=str(torch_dir)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert real.returncode == 1
    data = json.loads((work / "state" / "last.json").read_text())
    assert any(t["name"] == "x" and t["shape"] == [2, 3] for t in data["tensors"]), data

    ok = subprocess.run([vpy, "-c", "print(1)"], capture_output=True, text=True, check=True)
    assert ok.stdout == "1\n" and ok.stderr == ""
    proc = explainer(work, "hook", "uninstall", "--python", vpy)
    assert proc.returncode == 0 and "removed" in proc.stdout
    assert tree(venv_dir) == before
    again = explainer(work, "hook", "uninstall", "--python", vpy)
    assert again.returncode == 0 and "no crash capture" in again.stdout


def test_hook_leaves_foreign_files_alone(work: Path) -> None:
    venv_dir = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv_dir)], check=True)
    vpy = str(venv_dir / "bin" / "python")
    site = next(venv_dir.glob("lib/python*/site-packages"))
    (site / "explainer-capture.pth").write_text("import os\n")
    proc = explainer(work, "hook", "install", "--python", vpy)
    assert proc.returncode == 2 and "not explainer's" in proc.stderr
    assert (site / "explainer-capture.pth").read_text() == "import os\n"


def test_hook_with_a_missing_python(work: Path) -> None:
    proc = explainer(work, "hook", "install", "--python", str(work / "nope" / "python"))
    assert proc.returncode == 2 and "cannot run" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_broken_hook_never_breaks_python(work: Path) -> None:
    """The module removed by hand, the .pth left behind: Python still starts, silently."""
    venv_dir = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv_dir)], check=True)
    vpy = str(venv_dir / "bin" / "python")
    assert explainer(work, "hook", "install", "--python", vpy).returncode == 0
    site = next(venv_dir.glob("lib/python*/site-packages"))
    (site / "_explainer_capture.py").unlink()
    for compiled in (site / "__pycache__").glob("_explainer_capture*"):
        compiled.unlink()
    proc = subprocess.run([vpy, "-c", "print(2)"], capture_output=True, text=True, check=False)
    assert proc.stdout == "2\n" and proc.stderr == ""


# --- redaction ----------------------------------------------------------------------------------


def test_redact_home_folders_and_names(work: Path) -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/home/alice/proj/net.py", line 3, in forward\n'
        "    x = self.fc(x)\n"
        '  File "/Users/bob/x.py", line 1, in f\n'
        "    y()\n"
        f"RuntimeError: {LINEAR}\n"
    )
    for fmt in ("markdown", "json", "text"):
        proc = explainer(work, "explain", "--format", fmt, "--redact", stdin=text.encode())
        assert proc.returncode == 0
        assert "alice" not in proc.stdout and "bob" not in proc.stdout, proc.stdout
        assert "~/x.py" in proc.stdout
        if fmt == "json":
            json.loads(proc.stdout)
    from explainer.redact import redact_text

    home = os.path.expanduser("~")
    assert redact_text(f"{home}/code/a.py root cause") == "~/code/a.py root cause"
    assert redact_text("C:\\Users\\carol\\a.py") == "~\\a.py"
    assert redact_text("/data/root/x /root/y") == "/data/root/x ~/y"
