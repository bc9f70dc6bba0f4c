"""The subcommands' names, known without importing click (see explain_command.parse_fast)."""

COMMANDS: frozenset[str] = frozenset(
    {
        "explain",
        "show",
        "search",
        "kb",
        "repro",
        "tui",
        "shell-init",
        "hook",
        "last",
        "run",
        "scan",
        "history",
    }
)
