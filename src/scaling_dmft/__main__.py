"""`python -m scaling_dmft ...` (and the `scaling-dmft` script): BLAS threads are pinned from
`--threads` (default 1) before numpy is imported, whatever OMP_NUM_THREADS says."""

import sys

from .runlog import limit_threads, threads_from_argv


def run() -> None:
    limit_threads(threads_from_argv(sys.argv[1:]))
    from .cli import main

    sys.exit(main())


if __name__ == "__main__":
    run()
