"""MkDocs hook: the command-line reference, generated from the ``attnlab`` command itself.

A page that holds the line ``<!-- attnlab-cli -->`` gets, in its place, one section per command with its
summary, usage, arguments and options (their help and defaults), read from the Typer app, so the page
cannot fall out of step with the code.
"""

from __future__ import annotations

import enum
import html
from typing import Any

MARKER = "<!-- attnlab-cli -->"


def _is_argument(param: Any) -> bool:
    return type(param).__name__.endswith("Argument")


def _value(param: Any) -> str:
    default = param.default
    if getattr(param, "is_flag", False) or isinstance(default, bool):
        return "flag"
    if isinstance(default, enum.Enum):
        return " \\| ".join(f"`{m.value}`" for m in type(default))
    return f"`{(param.metavar or param.name).upper()}`"


def _default(param: Any) -> str:
    default = param.default
    if callable(default) or default is None or default == () or (getattr(param, "is_flag", False) and not default):
        return ""
    return f"`{getattr(default, 'value', default)}`"


def _option_row(param: Any) -> str:
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    text = (getattr(param, "help", None) or "").replace("\\[", "[")  # rich markup escapes a bracket
    text = html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")
    return f"| {names} | {_value(param)} | {_default(param)} | {text} |"


def cli_markdown() -> str:
    """One section per command of ``attnlab``: summary, usage, arguments, options."""
    import typer

    from attnlab.cli import app

    root = typer.main.get_command(app)
    out = []
    for name, cmd in root.commands.items():
        args = [p for p in cmd.params if _is_argument(p)]
        opts = [p for p in cmd.params if not _is_argument(p) and not p.hidden]
        usage = " ".join([f"attnlab {name} [OPTIONS]", *(p.name.upper() + ("..." if p.nargs == -1 else "")
                                                        for p in args)])
        out.append(f"## attnlab {name}\n")
        out.append((cmd.help or "").strip().split("\n\n")[0] + "\n")
        out.append(f"```text\n{usage}\n```\n")
        out += [f"- `{a.name.upper()}`: {getattr(a, 'help', '') or ''}" for a in args]
        if args:
            out.append("")
        if opts:
            out.append("| option | value | default | what it does |\n|---|---|---|---|")
            out += [_option_row(p) for p in opts]
            out.append("")
    return "\n".join(out)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_markdown())
    return markdown
