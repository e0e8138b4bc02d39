"""The formal XSD of docs/STANDARD.md and its worked examples."""

from pathlib import Path

SCHEMA_DIR = Path(__file__).parent
XSD_PATH = SCHEMA_DIR / "enforcement-1.0.xsd"
EXAMPLES_DIR = SCHEMA_DIR / "examples"
EXAMPLE_FILES_DIR = EXAMPLES_DIR / "files"
