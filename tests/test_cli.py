"""The command line, run in-process: exit codes, names, --force, stdin/stdout."""

import io
import json
import sys

import pytest

import aecodec
from PIL import Image

from aecodec.cli.main import main


@pytest.fixture
def photo(tmp_path, small_rgb):
    p = tmp_path / "photo.png"
    Image.fromarray(small_rgb).save(p)
    return p


def test_compress_then_decompress_default_names(photo, capsys):
    assert main(["compress", str(photo), "-q", "40"]) == 0
    aec = photo.with_suffix(".aec")
    assert aec.exists()
    capsys.readouterr()
    # photo.png exists: decompress refuses and suggests -o / --force
    assert main(["decompress", str(aec)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "-o" in err and "--force" in err and "Traceback" not in err
    assert main(["decompress", str(aec), "--force"]) == 0
    assert Image.open(photo).size == (64, 48)


def test_existing_output_needs_force(photo, capsys):
    out = photo.with_name("out.aec")
    out.write_bytes(b"keep me")
    assert main(["compress", str(photo), "-o", str(out)]) == 1
    assert out.read_bytes() == b"keep me"
    assert main(["compress", str(photo), "-o", str(out), "--force"]) == 0
    assert out.read_bytes()[:4] == b"\x89AEC"


def test_never_writes_over_its_input(photo, capsys):
    before = photo.read_bytes()
    assert main(["compress", str(photo), "-o", str(photo), "--force"]) == 1
    assert photo.read_bytes() == before
    assert "input" in capsys.readouterr().err


def test_failure_leaves_no_file(tmp_path, capsys):
    bad = tmp_path / "bad.aec"
    bad.write_bytes(b"\x89AEC\r\n\x1a\n garbage")
    assert main(["decompress", str(bad)]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.aec"]
    err = capsys.readouterr().err
    assert err.startswith("aecodec: error:") and err.count("\n") == 1


def test_not_an_image(tmp_path, capsys):
    txt = tmp_path / "a.txt"
    txt.write_text("hello")
    assert main(["compress", str(txt)]) == 1
    assert "not an image" in capsys.readouterr().err
    assert not (tmp_path / "a.aec").exists()


class _Std:
    def __init__(self, data=b""):
        self.buffer = io.BytesIO(data)


def test_stdin_to_stdout(photo, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", _Std(photo.read_bytes()))
    out = _Std()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["compress", "-", "-q", "30"]) == 0
    aec = out.buffer.getvalue()
    assert aec[:4] == b"\x89AEC"
    monkeypatch.setattr(sys, "stdin", _Std(aec))
    out2 = _Std()
    monkeypatch.setattr(sys, "stdout", out2)
    assert main(["decompress", "-"]) == 0
    assert Image.open(io.BytesIO(out2.buffer.getvalue())).size == (64, 48)


def test_info_json_and_models(photo, capsys):
    assert main(["compress", str(photo), "-q", "55"]) == 0
    capsys.readouterr()
    assert main(["info", str(photo.with_suffix(".aec")), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["width"], info["height"], info["quality"], info["format_version"]) == (64, 48, 55.0, "1.0")
    assert info["model_id"] == aecodec.DEFAULT_MODEL_ID and info["model_digest"] == aecodec.MODELS[aecodec.DEFAULT_MODEL_ID].digest.hex()
    assert info["bpp"] == pytest.approx(8 * info["file_size"] / (64 * 48), abs=1e-3)
    assert [c["tag"] for c in info["chunks"]] == ["HEAD", "TILE"]
    assert main(["models"]) == 0
    assert "(default)" in capsys.readouterr().out


def test_inspect_writes_figure_and_json(photo, capsys):
    out = photo.with_name("fig.png")
    assert main(["inspect", str(photo), "-o", str(out), "-q", "50", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["width"] == 64 and stats["bpp"] > 0 and stats["psnr"] > 10
    # the file is its streams (estimated to within rANS's few flush bytes per stream) plus
    # 94 bytes of container: preamble 16, HEAD 8 + 34, TILE 8 + 24, CRC 4
    beyond = (stats["bpp"] - stats["latent_bpp"]) * 64 * stats["height"] / 8
    assert 94 <= beyond <= 94 + 16
    with Image.open(out) as im:
        assert im.size[0] >= 600


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only(tmp_path, small_rgb, monkeypatch):
    from aecodec.cli import main as cli

    src = tmp_path / "p.png"
    Image.fromarray(small_rgb).save(src)
    monkeypatch.setattr(cli, "PROGRESS_DELAY_S", 0.0)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["compress", str(src)]) == 0
    assert "compress" in terminal.getvalue() and "1/1" in terminal.getvalue()
    assert cli.main(["decompress", str(src.with_suffix(".aec")), "-o", str(tmp_path / "d.png")]) == 0
    assert "decompress" in terminal.getvalue() and "2/2" in terminal.getvalue()
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    assert cli.main(["compress", str(src), "-o", str(tmp_path / "again.aec")]) == 0
    assert "compress:" not in piped.getvalue() and "again.aec" in piped.getvalue()


def test_version_matches_the_package_metadata(capsys):
    import tomllib
    from pathlib import Path

    declared = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["version"]
    assert aecodec.__version__ == declared
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"aecodec {declared}"


def test_model_option_codes_with_an_older_shipped_model(photo, capsys):
    from aecodec.models.registry import DEFAULT_MODEL_ID

    older = min(m for m in aecodec.models.registry.MODELS if m != DEFAULT_MODEL_ID)
    assert main(["compress", str(photo), "-m", str(older), "-o", str(photo.with_suffix(".old.aec"))]) == 0
    data = photo.with_suffix(".old.aec").read_bytes()
    assert aecodec.read_header(data).model_id == older
    assert aecodec.decode(data).size == (64, 48)
    capsys.readouterr()
    assert main(["compress", str(photo), "-m", "99", "--force"]) == 1
    err = capsys.readouterr().err
    assert "model" in err and "99" in err and "Traceback" not in err
    with pytest.raises(aecodec.InvalidInputError, match="denoise"):
        aecodec.encode(photo, model=older, denoise=True)
