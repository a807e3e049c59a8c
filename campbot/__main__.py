"""`python -m campbot`: the installed `campbot` command (tests and benches start servers this way)."""

from campbot.cli.main import main

if __name__ == "__main__":
    main()
