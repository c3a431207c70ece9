"""Schema-driven fuzzing, the larger run: a server on a fresh PostgreSQL database, every operation of
its OpenAPI document with N drawn examples, each sent as anonymous, viewer, operator and admin.

    .venv/bin/python bench/fuzz.py [--examples 20] [--seconds 600] [--seed 1]

Prints operations, examples, requests per role, status classes, 5xx and every failed check.
Needs PostgreSQL at 127.0.0.1:5432 (WEBMACS_TEST_PG_DSN elsewhere).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "live"))

from server_process import ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess

from webmacs_sdk.testing.databases import PostgresTestDatabase
from webmacs_sdk.testing.fuzzing import fuzz, role_tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=20, help="examples drawn per operation (default 20)")
    parser.add_argument("--seconds", type=float, default=600.0, help="stop drawing more after this long")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    database = PostgresTestDatabase()
    database.create()
    try:
        with tempfile.TemporaryDirectory(prefix="webmacs-fuzz-") as workdir:
            server = ServerProcess(Path(workdir), database.url).start()
            try:
                tokens = role_tokens(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
                result = fuzz(server.url, tokens, examples=args.examples, seed=args.seed, deadline=args.seconds)
            finally:
                server.terminate()
    finally:
        database.drop()
    print(result.summary())
    for failure in result.failures:
        print("  ", failure)
    return 1 if result.server_errors or result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
