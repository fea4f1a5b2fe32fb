"""Print the path of the bundled detect-secrets plugin file."""

from pathlib import Path

print(Path(__file__).with_name("ml_plugins.py"))
