"""``vrex schema``: the scenario format as JSON Schema (for editors) or Markdown tables."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.scenario.docs import json_schema, markdown_tables


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="export the scenario format as JSON Schema or Markdown")
    p.add_argument("--format", choices=("json", "markdown"), default="json")
    p.add_argument("--out", type=Path, help="write to this file instead of the terminal")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), indent=2) + "\n" if args.format == "json" else markdown_tables()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
