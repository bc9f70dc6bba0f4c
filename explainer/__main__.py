"""`python -m explainer` runs the command line."""

from explainer.entry import main

main()
