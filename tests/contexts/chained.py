"""A training loop that wraps the error in its own exception ("direct cause")."""

from net import Net, batch


class TrainingError(Exception):
    pass


def step(model):
    try:
        return model(batch())
    except RuntimeError as exc:
        raise TrainingError("step 0 failed") from exc


step(Net())
