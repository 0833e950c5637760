"""Local OCR of scanned pages: two engines behind one interface, words in points for the row rebuilder.

Engines (no network, models installed from the package registries):

* ``rapid``: RapidOCR on ONNX Runtime (PyPI ``rapidocr-onnxruntime``, the ``ocr`` extra; its wheel
  ships the PP-OCR detection and recognition models). Numbers get the recogniser's runner-up digits
  as alternatives.
* ``tesseract``: the Tesseract command with the ``chi_sim`` model (Debian ``tesseract-ocr`` and
  ``tesseract-ocr-chi-sim``).

`NIANBAO_OCR_ENGINE` picks one (``rapid``, ``tesseract``); unset, the first available of ENGINES, in
the order bench/ocr.py measured best, is used.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from ..errors import NoText

ENGINES = ("rapid", "tesseract")
"""Engine names, best first by bench/results/ocr.json (cells right, then seconds a page)."""

MAX_ALTERNATIVES = 3
ALT_SHARE = 0.02  # a runner-up digit this likely at a frame is an alternative reading
TESSERACT_TIMEOUT_S = 300
RULE_DARK = 160  # grey level under which a pixel may belong to a ruling line
RULE_ACROSS_PT = 72.0  # a dark run this long across (an inch) is a rule: no glyph is that wide
RULE_DOWN_PT = 36.0  # a dark run this long down (three lines of text) is a rule
MIN_SCORE = 0.3  # RapidOCR drops lines it reads less surely than this (its default, 0.5, lost faint digits)
THREADS = 1  # ONNX threads a page: the extraction pool reads documents side by side, more only contend
_DIGITS = re.compile(r"^[+\-]?\d+(?:\.\d+)?$")


@dataclass(slots=True)
class OcrWord:
    """One recognised word with its box in points (1/72 inch) from the page's top left."""

    text: str
    """What the engine read (NFKC-folded)."""
    x0: float
    """Left edge."""
    x1: float
    """Right edge."""
    top: float
    """Top edge."""
    bottom: float
    """Bottom edge."""
    confidence: float
    """The engine's confidence in the reading, 0…1."""
    alternatives: tuple[str, ...] = ()
    """Other readings of the same word the engine found likely (numbers only), best first."""

    def as_dict(self) -> dict[str, Any]:
        """Return the word as pdf_rows.rebuild reads words (text and box)."""
        return {"text": self.text, "x0": self.x0, "x1": self.x1, "top": self.top, "bottom": self.bottom}


class Engine(Protocol):
    """An OCR engine: a page image in, its words out."""

    name: str

    def words(self, image: Any, scale: float) -> list[OcrWord]:
        """Return the words of a PIL page image, boxes multiplied by `scale` (pixels → points)."""
        ...


def _fold(text: str) -> str:
    """Return `text` NFKC-folded and stripped (full-width digits and brackets become ASCII)."""
    return unicodedata.normalize("NFKC", text).strip()


def _split_line(text: str, box: tuple[float, float, float, float], confidence: float) -> list[OcrWord]:
    """Return a recognised line cut at its spaces, each piece given its share of the box by characters."""
    x0, top, x1, bottom = box
    pieces = text.split()
    total = sum(len(p) for p in pieces) + len(pieces) - 1
    if total <= 0:
        return []
    per = (x1 - x0) / total
    out: list[OcrWord] = []
    at = 0
    for p in pieces:
        out.append(OcrWord(p, x0 + at * per, x0 + (at + len(p)) * per, top, bottom, confidence))
        at += len(p) + 1
    return out


class RapidEngine:
    """RapidOCR (ONNX Runtime, PP-OCR models from its wheel): its detector, then one recogniser pass of our own."""

    name = "rapid"

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        # Scans are upright: no angle classifier. Faint lines are kept (and doubted), not dropped.
        self._ocr = RapidOCR(use_cls=False, text_score=MIN_SCORE, intra_op_num_threads=THREADS,
                             inter_op_num_threads=1)  # fmt: skip
        _quiet_sessions(self._ocr)
        self._lock = threading.Lock()  # one ONNX session pair per process; readers may run in threads

    def words(self, image: Any, scale: float) -> list[OcrWord]:
        """Return the page's words; number words carry the recogniser's alternative readings."""
        import numpy as np

        ocr = self._ocr
        pixels = np.asarray(image.convert("RGB"))
        height, width = pixels.shape[:2]
        # Longest side at most 2000 px, as the library reads a page: a smaller detector input (1400, 1700 px) saves
        # memory but clipped a row label's 二、 and lost seed001's scan cells (bench/results/ocr-page.json).
        small, ratio_h, ratio_w = ocr.preprocess(pixels)
        with self._lock:
            boxes, _ = ocr.text_det(small)
            if boxes is None or not len(boxes):
                return []
            boxes = ocr.sorted_boxes(boxes)
            found = self._recognise(ocr.get_crop_img_list(small, boxes))
            del small
            _release()
        out: list[OcrWord] = []
        for quad, (text, score, alternatives) in zip(boxes, found, strict=True):
            if not text or score < MIN_SCORE:
                continue
            xs = [float(min(max(p[0] * ratio_w, 0), width)) * scale for p in quad]  # plain floats, not numpy's
            ys = [float(min(max(p[1] * ratio_h, 0), height)) * scale for p in quad]
            pieces = _split_line(_fold(text), (min(xs), min(ys), max(xs), max(ys)), score)
            if len(pieces) == 1:
                pieces[0].alternatives = alternatives
            out.extend(pieces)
        return out

    def _recognise(self, crops: list[Any]) -> list[tuple[str, float, tuple[str, ...]]]:
        """Return each crop's reading, confidence and, for a number, its alternative readings (one pass, batched).

        Crops go in batches of like width, as the library batches them: each as wide as its widest and at least
        the model's own width (6.7 heights; narrower, a lone 0 reads as the letter o). The number words' runner-up
        digits come from this pass, not a second one.
        """
        import numpy as np

        rec = self._ocr.text_rec
        chars = rec.postprocess_op.character
        ratios = [c.shape[1] / max(c.shape[0], 1) for c in crops]
        least = rec.rec_image_shape[2] / rec.rec_image_shape[1]
        out: list[tuple[str, float, tuple[str, ...]]] = [("", 0.0, ())] * len(crops)
        order = np.argsort(np.array(ratios))  # as the library orders them: the same batches, the same readings
        for start in range(0, len(crops), rec.rec_batch_num):
            batch = order[start : start + rec.rec_batch_num]
            wide = max([least] + [ratios[i] for i in batch])
            probs = rec.session(np.stack([rec.resize_norm_img(crops[i], wide) for i in batch]).astype(np.float32))[0]
            for i, (text, score, *_), p in zip(batch, rec.postprocess_op(probs), probs, strict=True):
                reading = _fold(text)
                alternatives: list[str] = []
                if _DIGITS.match(reading):  # full-width digits fold to ASCII: an alternative may be the reading
                    for alt in map(_fold, _ctc_alternatives(p, chars, text)):
                        if alt != reading and alt not in alternatives:
                            alternatives.append(alt)
                out[i] = (text, float(score), tuple(alternatives))
        return out


@cache
def _libc() -> Any:
    """Return the C library where it is glibc (it has malloc_trim), else None."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _release() -> None:
    """Hand the heap a page's OCR freed back to the system (glibc keeps it otherwise: 922 → 771 MB peak on a
    3-page scan, bench/results/ocr-page.json), so each page's detector peak does not pile on the last one's."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _quiet_sessions(ocr: Any) -> None:
    """Rebuild RapidOCR's detector and recogniser sessions with worker threads that sleep when idle.

    ONNX Runtime's threads spin waiting for work by default, which on a shared machine burns CPU; one
    intra-op thread (THREADS) read a page in about half the CPU seconds of two spinning ones.
    """
    import onnxruntime as ort
    from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
    from rapidocr_onnxruntime.utils import read_yaml
    from rapidocr_onnxruntime.utils.parse_parameters import update_model_path

    paths = update_model_path(read_yaml(DEFAULT_CFG_PATH))
    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.enable_cpu_mem_arena = False  # freed after each page, not kept at the largest page's size
    options.intra_op_num_threads, options.inter_op_num_threads = THREADS, 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    for holder, part in ((ocr.text_det.infer, "Det"), (ocr.text_rec.session, "Rec")):
        holder.session = ort.InferenceSession(paths[part]["model_path"], sess_options=options,
                                              providers=["CPUExecutionProvider"])  # fmt: skip


def _ctc_alternatives(probs: Any, chars: list[str], reading: str) -> tuple[str, ...]:
    """Return readings that differ from the best path in one frame's digit, most likely first."""
    import numpy as np

    best = probs.argmax(axis=1)
    # The best path, collapsed as CTC does, remembering the frame each kept character came from.
    kept: list[tuple[int, str]] = []
    prev = -1
    for t, idx in enumerate(best):
        if idx != prev and idx != 0:
            kept.append((t, chars[idx]))
        prev = idx
    if "".join(c for _, c in kept) != reading:
        return ()
    scored: list[tuple[float, str]] = []
    digit_ids = [i for i, c in enumerate(chars) if c.isdigit()]
    for pos, (t, ch) in enumerate(kept):
        if not ch.isdigit():
            continue
        row = probs[t]
        for i in sorted(digit_ids, key=lambda i: -row[i])[:3]:
            if chars[i] != ch and row[i] >= ALT_SHARE * row[best[t]]:
                alt = reading[:pos] + chars[i] + reading[pos + 1 :]
                scored.append((float(row[i] / row[best[t]]), alt))
        blank = float(row[0])
        if blank >= ALT_SHARE * float(np.max(row)) and len(reading) > 1:
            scored.append((blank / float(np.max(row)), reading[:pos] + reading[pos + 1 :]))
    seen: list[str] = []
    for _, alt in sorted(scored, key=lambda s: -s[0]):
        if alt not in seen and alt != reading and alt.lstrip("+-"):
            seen.append(alt)
    return tuple(seen[:MAX_ALTERNATIVES])


class TesseractEngine:
    """The tesseract command with the chi_sim model, read as TSV."""

    name = "tesseract"

    def __init__(self, binary: str) -> None:
        self._binary = binary

    def words(self, image: Any, scale: float) -> list[OcrWord]:
        """Return the page's words: Tesseract's pieces on one line joined where they nearly touch."""
        buf = io.BytesIO()
        erase_rules(image, scale).save(buf, format="PNG")
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # its OpenMP threads only slow a shared machine down
        try:
            done = subprocess.run(
                [self._binary, "stdin", "stdout", "-l", "chi_sim", "--psm", "6", "tsv"],
                input=buf.getvalue(), capture_output=True, timeout=TESSERACT_TIMEOUT_S, env=env, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise NoText(f"tesseract took over {TESSERACT_TIMEOUT_S} s on a page") from None
        if done.returncode != 0:
            raise NoText(f"tesseract failed: {done.stderr.decode(errors='replace').strip()[:120]}")
        return _tsv_words(done.stdout.decode("utf-8", errors="replace"), scale)


def _runs(dark: Any, length: int, axis: int) -> Any:
    """Return the mask of pixels in runs of at least `length` dark pixels along `axis`."""
    import numpy as np

    d = np.moveaxis(dark, axis, -1).astype(np.int32)
    n = d.shape[-1]
    if n < length:
        return np.zeros_like(dark)
    c = np.concatenate([np.zeros((*d.shape[:-1], 1), np.int32), np.cumsum(d, axis=-1)], axis=-1)
    starts = (c[..., length:] - c[..., : n - length + 1]) == length  # a full run starts at each True
    s = np.concatenate([np.zeros((*d.shape[:-1], 1), np.int32), np.cumsum(starts, axis=-1)], axis=-1)
    idx = np.arange(n)
    hi = np.minimum(idx + 1, n - length + 1)
    lo = np.maximum(idx - length + 1, 0)
    covered = (s[..., hi] - s[..., lo]) > 0
    return np.moveaxis(covered, -1, axis)


def erase_rules(image: Any, scale: float) -> Any:
    """Return a grey copy of a page image with its table rules (dark runs far longer than a glyph) painted white.

    `scale` is points per pixel. Tesseract reads a ruled table's lines as "|", "[" and "1" glued to the
    digits beside them.
    """
    import numpy as np
    from PIL import Image

    grey = np.asarray(image.convert("L"))
    dark = grey < RULE_DARK
    mask = _runs(dark, round(RULE_ACROSS_PT / scale), axis=1) | _runs(dark, round(RULE_DOWN_PT / scale), axis=0)
    out = grey.copy()
    out[mask] = 255
    return Image.fromarray(out)


def _tsv_words(tsv: str, scale: float) -> list[OcrWord]:
    """Return Tesseract TSV words, joined within a line where the gap is under half their height."""
    out: list[OcrWord] = []
    last_line: tuple[str, ...] | None = None
    for row in tsv.splitlines()[1:]:
        f = row.split("\t")
        if len(f) < 12 or f[0] != "5" or not f[11].strip():
            continue
        line = tuple(f[1:5])
        left, top, width, height = (float(v) * scale for v in f[6:10])
        word = OcrWord(_fold(f[11]), left, left + width, top, top + height, max(float(f[10]), 0.0) / 100)
        prev = out[-1] if out and line == last_line else None
        if prev is not None and word.x0 - prev.x1 < 0.5 * max(prev.bottom - prev.top, word.bottom - word.top):
            prev.text += word.text
            prev.x1, prev.top, prev.bottom = word.x1, min(prev.top, word.top), max(prev.bottom, word.bottom)
            prev.confidence = min(prev.confidence, word.confidence)
        else:
            out.append(word)
        last_line = line
    return out


def _tesseract() -> TesseractEngine | None:
    """Return the Tesseract engine where the command and its chi_sim model are installed, else None."""
    binary = shutil.which("tesseract")
    if binary is None:
        return None
    try:
        langs = subprocess.run([binary, "--list-langs"], capture_output=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return TesseractEngine(binary) if b"chi_sim" in langs.split() else None


def _rapid() -> RapidEngine | None:
    """Return the RapidOCR engine where its package is installed, else None."""
    try:
        return RapidEngine()
    except ImportError:
        return None


_MAKERS = {"rapid": _rapid, "tesseract": _tesseract}


@cache
def engine(name: str) -> Engine | None:
    """Return the named engine (one instance per process: its models load once), or None where not installed."""
    return _MAKERS[name]()


def missing_reason(name: str) -> str:
    """Return what to install for the named engine."""
    if name == "rapid":
        return "RapidOCR is not installed (pip install 'nianbao[ocr]')"
    return "Tesseract with chi_sim is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)"


def choose() -> Engine:
    """Return the engine to read scans with: NIANBAO_OCR_ENGINE's, else the best installed one.

    Raises NoText where none is installed (or the one asked for is not, or the name is unknown).
    """
    wanted = os.environ.get("NIANBAO_OCR_ENGINE", "").strip().lower()
    if wanted:
        if wanted not in _MAKERS:
            raise NoText(f"NIANBAO_OCR_ENGINE={wanted!r} is not one of {', '.join(ENGINES)}")
        got = engine(wanted)
        if got is None:
            raise NoText(f"scanned pages need OCR: {missing_reason(wanted)}")
        return got
    for name in ENGINES:
        got = engine(name)
        if got is not None:
            return got
    raise NoText("scanned pages need OCR and no engine is installed: " + "; ".join(map(missing_reason, ENGINES)))
