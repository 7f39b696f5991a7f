"""README facts that follow from the code: which model is the default and which still decode."""
import re
from pathlib import Path

from aecodec.models import registry

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_names_the_default_model_and_the_ids_that_still_decode():
    match = re.search(r"\*\*Model\*\* \(id (\d+); ids (\d+)–(\d+) still decode\)", README.read_text())
    assert match, "README's 'How it works' section must name the default model id"
    default, first, last = map(int, match.groups())
    assert default == registry.DEFAULT_MODEL_ID
    assert list(range(first, last + 1)) == sorted(set(registry.MODELS) - {default})
