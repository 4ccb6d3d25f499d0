"""Commands that live outside ``dedup/cli.py``; each module registers itself on ``dedup.cli.app``
when imported (see ``COMMAND_MODULES`` there)."""
