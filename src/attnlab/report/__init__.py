"""The HTML report (self-contained, offline) and the plotting helpers the experiments share."""

from attnlab.report.html import format_value, render_report, reproduce_command, write_report

__all__ = ["format_value", "render_report", "reproduce_command", "write_report"]
