"""The ``onnx-int8`` embedding backend: the bundled MiniLM exported to ONNX, quantised to int8.

``embedding.backend: onnx-int8`` (``EmbeddingSettings.backend``) embeds with ONNX Runtime
instead of PyTorch. On first use the sentence-transformers model's transformer is
exported offline with ``torch.onnx.export`` and its weights quantised to int8 with
``onnxruntime.quantization.quantize_dynamic``; the file is cached in
``<cache root>/onnx/<model slug>-<hash>/model-int8.onnx`` (written atomically, so an
interrupted export is redone, never half-read). Mean pooling and L2 normalisation follow
in numpy/torch exactly as sentence-transformers' Pooling and Normalize modules do.

Dynamic int8 quantisation scales each matrix product's activations by the largest value
in the whole batch, so a text's vector would depend on the texts batched with it. This
backend therefore runs every text in a batch of its own (padded to its length bucket,
:func:`covidlearning.nlp.embed.bucket`): a text's vector depends on the text alone, as
with the PyTorch backend. Its vectors are cached under their own key (the variant
``onnx-int8``), so they never mix with fp32 vectors.

Public API: :data:`BACKENDS`, :func:`model_digest`, :func:`export_int8`, :class:`OnnxModel`
(:func:`covidlearning.nlp.embed.load_onnx` loads it once per process).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: The embedding backends: sentence-transformers on PyTorch (fp32), or ONNX Runtime int8.
BACKENDS = ("torch", "onnx-int8")
#: How the ONNX file is made; part of its folder name, so a change re-exports.
EXPORT_VERSION = "v1-perchannel"
#: The ONNX opset of the export.
OPSET = 17


def model_digest(folder: Path) -> str:
    """sha256 over the model's weights and config: a tuned or changed model exports anew."""
    h = hashlib.sha256(EXPORT_VERSION.encode())
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json"):
        path = folder / name
        if path.is_file():
            h.update(name.encode())
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()[:12]


def export_int8(st: Any, target: Path) -> Path:
    """Export ``st``'s transformer to ONNX and quantise it to int8 at ``target``, once.

    Offline: the weights are those of the loaded model. The fp32 export and the
    quantised file are written in a temporary folder beside ``target`` and moved into
    place, so workers sharing a disk may race to export and each ends with a whole file.

    Args:
        st: the sentence-transformers model.
        target: where the int8 file goes (:func:`covidlearning.nlp.embed.onnx_file`).
    """
    if target.is_file():
        return target
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    bert = st[0].auto_model.eval()

    class _Hidden(torch.nn.Module):
        """The transformer with positional inputs and its last hidden state as output."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("exporting the embedding model to ONNX and quantising it to int8: %s", target)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        names = ["input_ids", "attention_mask", "token_type_ids"]
        # the example is padded, so the traced graph keeps the attention mask's path
        # (tracing fixes the branches transformers takes for the example it sees)
        feats = st.tokenizer(
            ["an example"], padding="max_length", max_length=16, return_tensors="pt"
        )
        axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
        with torch.inference_mode():
            torch.onnx.export(
                _Hidden().eval(),
                tuple(feats[n] for n in names),
                str(fp32),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        int8 = Path(tmp) / "model-int8.onnx"
        # per-channel weight scales: mean cosine to fp32 0.99 on survey comments, where one
        # scale per tensor gave 0.95 (benchmarks/scale.py measures it)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(int8, target)
    return target


class OnnxModel:
    """An int8 ONNX transformer with sentence-transformers' tokenizer and pooling.

    It answers what :func:`covidlearning.nlp.embed.encode_batches` asks of a
    sentence-transformers model (``tokenizer``, ``max_seq_length``, the embedding
    dimension and ``forward``), so both backends share the bucketed batching.
    """

    def __init__(self, path: Path, st: Any) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = st.tokenizer
        self.max_seq_length = st.max_seq_length
        dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        self._dim = int(dim())
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.path = path

    def get_sentence_embedding_dimension(self) -> int:
        """Width of the vectors (384 for MiniLM)."""
        return self._dim

    def forward(self, features: dict[str, Any]) -> dict[str, Any]:
        """Mean-pooled token vectors of one tokenised batch (``sentence_embedding``)."""
        import torch

        feed = {k: v.numpy().astype(np.int64) for k, v in features.items() if k in self._inputs}
        hidden = self.session.run(["last_hidden_state"], feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return {"sentence_embedding": torch.from_numpy(pooled.astype(np.float32))}
