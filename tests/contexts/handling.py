"""An error raised while handling another ("During handling of the above exception")."""

from net import Net, batch

try:
    Net()(batch())
except RuntimeError:
    raise ValueError("could not recover from the failed step")  # noqa: B904 - the point here
