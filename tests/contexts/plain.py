"""The bare failure, run with TORCH_SHOW_CPP_STACKTRACES=1 or under torchrun by the tests."""

import os

from net import Net, batch

if os.environ.get("WORLD_SIZE"):
    import torch.distributed as dist

    dist.init_process_group("gloo")
Net()(batch())
