"""rigtui: a terminal workbench for agentic coding."""

__version__ = "0.1.0"
