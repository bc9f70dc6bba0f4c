"""A training script that logs the failure with logging.exception, timestamps and levels."""

import logging

from net import Net, batch

logging.basicConfig(
    format="%(asctime)s - %(name)s - %(levelname)s - %(message)s", level=logging.INFO
)
log = logging.getLogger("train")
log.info("epoch 1 starting")
try:
    Net()(batch())
except RuntimeError:
    log.exception("training step failed")
log.info("shutting down")
